package upstreamtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
)

// hangGuard bounds every test's waiting; it is a guard, not an assertion.
const hangGuard = 30 * time.Second

func newServer(t *testing.T) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	return s
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// answer is a decoded HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %s", a.status, err, a.body)
	}
	return m
}

// do sends a request and reads the whole answer, without following
// redirects.
func do(t *testing.T, s *Server, method, path, contentType string, body []byte, header ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, s.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("version", WireVersion) // a header set to "" below is not sent
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
		if header[i+1] == "" {
			req.Header.Del(header[i])
		}
	}
	client := &http.Client{
		Transport:     s.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func postForm(t *testing.T, s *Server, path string, form url.Values) answer {
	t.Helper()
	return do(t, s, http.MethodPost, path, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

func postJSON(t *testing.T, s *Server, path string, v any, header ...string) answer {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, s, http.MethodPost, path, "application/json", b, header...)
}

// field digs a string out of nested JSON objects.
func field(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		o, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = o[p]
	}
	s, _ := cur.(string)
	return s
}

// testVerifier is a valid PKCE verifier (43+ unreserved characters).
const testVerifier = "verifier-0123456789-abcdefghijklmnopqrstuvwxyz"

const testCallback = "http://localhost:1455/auth/callback"

// authorizeQuery is a correct authorize query, as deckhand builds it.
func authorizeQuery(challenge, state string) url.Values {
	return url.Values{
		"response_type":              {"code"},
		"client_id":                  {ClientID},
		"redirect_uri":               {testCallback},
		"scope":                      {"openid profile email offline_access api.connectors.read api.connectors.invoke"},
		"code_challenge":             {challenge},
		"code_challenge_method":      {"S256"},
		"id_token_add_organizations": {"true"},
		"codex_cli_simplified_flow":  {"true"},
		"state":                      {state},
		"originator":                 {"codex_cli_rs"},
	}
}

// authorize runs /oauth/authorize and returns the code from the redirect.
func authorize(t *testing.T, s *Server, challenge, state string) string {
	t.Helper()
	a := do(t, s, http.MethodGet, PathAuthorize+"?"+authorizeQuery(challenge, state).Encode(), "", nil)
	if a.status != http.StatusFound {
		t.Fatalf("authorize: status %d: %s", a.status, a.body)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Query().Get("state"); got != state {
		t.Fatalf("authorize redirect state = %q, want %q", got, state)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("authorize redirect has no code: %s", loc)
	}
	return code
}

func exchangeForm(code, redirect, verifier string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirect},
		"client_id":     {ClientID},
		"code_verifier": {verifier},
	}
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {ClientID}}
}

// service is an openai-go Responses client for base, authorised by a
// middleware that sets the bearer, with retries off.
func service(s *Server, base, bearer string) *responses.ResponseService {
	svc := responses.NewResponseService(
		option.WithBaseURL(base),
		option.WithHTTPClient(s.Client()),
		option.WithMaxRetries(0),
		option.WithHeader("Accept", "text/event-stream"),
		option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			req.Header.Set("Authorization", "Bearer "+bearer)
			req.Header.Set("ChatGPT-Account-Id", DefaultAccountID)
			req.Header.Set("version", WireVersion)
			return next(req)
		}),
	)
	return &svc
}

func codexParams() responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model:        "gpt-5.5",
		Instructions: param.NewOpt("You are deckhand's test."),
		Store:        param.NewOpt(false),
		Input:        responses.ResponseNewParamsInputUnion{OfString: param.NewOpt("hello")},
	}
}

// decoded is what openai-go made of one stream.
type decoded struct {
	types     []string
	text      strings.Builder
	reasoning strings.Builder
	argDeltas strings.Builder
	items     []responses.ResponseOutputItemUnion // from output_item.done
	seqs      []int64
	terminal  string // the type of the terminal event, if any
	final     responses.Response
	errEvent  responses.ResponseErrorEvent
	err       error
}

// stream runs one streamed request through openai-go and decodes it all.
func stream(ctx context.Context, svc *responses.ResponseService, params responses.ResponseNewParams) *decoded {
	d := &decoded{}
	st := svc.NewStreaming(ctx, params)
	defer st.Close()
	for st.Next() {
		ev := st.Current()
		d.types = append(d.types, ev.Type)
		d.seqs = append(d.seqs, ev.SequenceNumber)
		switch e := ev.AsAny().(type) {
		case responses.ResponseTextDeltaEvent:
			d.text.WriteString(e.Delta)
		case responses.ResponseReasoningSummaryTextDeltaEvent:
			d.reasoning.WriteString(e.Delta)
		case responses.ResponseFunctionCallArgumentsDeltaEvent:
			d.argDeltas.WriteString(e.Delta)
		case responses.ResponseOutputItemDoneEvent:
			d.items = append(d.items, e.Item)
		case responses.ResponseCompletedEvent:
			d.terminal, d.final = ev.Type, e.Response
		case responses.ResponseFailedEvent:
			d.terminal, d.final = ev.Type, e.Response
		case responses.ResponseIncompleteEvent:
			d.terminal, d.final = ev.Type, e.Response
		case responses.ResponseErrorEvent:
			d.terminal, d.errEvent = ev.Type, e
		}
	}
	d.err = st.Err()
	return d
}
