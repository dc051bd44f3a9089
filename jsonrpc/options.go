package jsonrpc

// SetCancelMethod names the notification that cancels a request, in both
// directions: "$/cancelRequest" (LSP's, deckhand's protocol) unless set;
// ACP calls it "$/cancel_request". Call it before Serve.
func (c *Conn) SetCancelMethod(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelName = method
}

func (c *Conn) cancelMethod() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancelName
}
