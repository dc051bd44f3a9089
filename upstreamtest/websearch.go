package upstreamtest

import "fmt"

// The hosted web search: the service runs it and streams a web_search_call
// item with what it looked for and the pages it read; the answer's text
// cites pages with url_citation annotations.

// WebSearch adds a completed web_search_call item (ws_N) that searched for
// query and read sources.
func (b *StepBuilder) WebSearch(query string, sources ...string) *StepBuilder {
	b.calls++
	b.sc.segments = append(b.sc.segments, segment{
		kind: segWebSearch, id: fmt.Sprintf("ws_%d", b.calls), text: query, sources: sources,
	})
	return b
}

// Cite makes the last Text of the step cite the page url (its title), as
// a url_citation annotation over the whole text.
func (b *StepBuilder) Cite(url, title string) *StepBuilder {
	for i := len(b.sc.segments) - 1; i >= 0; i-- {
		if seg := &b.sc.segments[i]; seg.kind == segMessage {
			seg.annotations = append(seg.annotations, obj{
				"type": "url_citation", "url": url, "title": title,
				"start_index": 0, "end_index": len([]rune(seg.text)),
			})
			return b
		}
	}
	panic("upstreamtest: Cite needs a Text before it")
}

func (r *renderer) webSearch(seg segment) {
	idx := len(r.output)
	r.emit("response.output_item.added", obj{
		"output_index": idx,
		"item":         obj{"id": seg.id, "type": "web_search_call", "status": "in_progress"},
	})
	for _, phase := range []string{"in_progress", "searching", "completed"} {
		r.emit("response.web_search_call."+phase, obj{"item_id": seg.id, "output_index": idx})
	}
	sources := make([]any, 0, len(seg.sources))
	for _, u := range seg.sources {
		sources = append(sources, obj{"type": "url", "url": u})
	}
	r.finish(idx, obj{
		"id": seg.id, "type": "web_search_call", "status": "completed",
		"action": obj{"type": "search", "query": seg.text, "sources": sources},
	})
}

// annotationsOf is a message's annotations as the wire has them.
func annotationsOf(seg segment) []any {
	out := make([]any, 0, len(seg.annotations))
	for _, a := range seg.annotations {
		out = append(out, a)
	}
	return out
}
