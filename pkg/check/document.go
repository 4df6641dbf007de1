package check

// Document returns the request's YAML document, as found (for tools that
// read its references, such as rekey).
func (r Request) Document() []byte { return r.doc }
