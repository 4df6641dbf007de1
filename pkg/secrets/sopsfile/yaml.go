package sopsfile

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// YAML files are read as sops reads them: every document of the stream is a
// mapping (a document that is only null is an empty one), scalars take the
// Go types go.yaml.in/yaml/v3 gives them when decoded into an interface,
// aliases are expanded, and comments are kept where sops keeps them (head,
// line and foot comments become comment items before and after their
// entry). As in sops, the first document is also decoded into a map once, so
// that duplicate keys anywhere in it are refused.

// maxYAMLNodes bounds alias expansion outside the first document, which
// sops leaves unbounded (the first document is bounded by the decoder's own
// limits). A file needing more is refused instead of exhausting memory.
const maxYAMLNodes = 1 << 20

type yamlReader struct{ budget int }

func loadYAML(in []byte) ([]Mapping, error) {
	var branches []Mapping
	dec := yaml.NewDecoder(bytes.NewReader(in))
	for first := true; ; first = false {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			if first && len(in) > 0 {
				return nil, malformed("is not a YAML document", nil)
			}
			return branches, nil
		}
		if err != nil {
			return nil, malformed("is not valid YAML", err)
		}
		if first {
			if err := doc.Decode(&map[string]any{}); err != nil {
				return nil, malformed("is not a YAML mapping with unique keys", err)
			}
		}
		r := yamlReader{budget: maxYAMLNodes}
		branch, err := r.mapping(&doc, make(Mapping, 0), false)
		if err != nil {
			return nil, err
		}
		branches = append(branches, branch)
	}
}

func mappingComments(m Mapping, text string, inline bool) Mapping {
	if text == "" {
		return m
	}
	for _, line := range strings.Split(text, "\n") {
		if line != "" {
			m = append(m, Item{Comment: &Comment{Text: line[1:], Inline: inline}})
		}
	}
	return m
}

func listComments(l List, text string, inline bool) List {
	if text == "" {
		return l
	}
	for _, line := range strings.Split(text, "\n") {
		if line != "" {
			l = append(l, Comment{Text: line[1:], Inline: inline})
		}
	}
	return l
}

func (r *yamlReader) spend(n *yaml.Node) error {
	r.budget--
	if r.budget < 0 {
		return malformed("expands to too many YAML nodes (aliases)", nil)
	}
	return nil
}

// mapping appends the entries of a document, mapping or alias to one to m.
// handled says whether the node's own comments were already taken.
func (r *yamlReader) mapping(n *yaml.Node, m Mapping, handled bool) (Mapping, error) {
	if err := r.spend(n); err != nil {
		return nil, err
	}
	if !handled {
		m = mappingComments(m, n.HeadComment, false)
		m = mappingComments(m, n.LineComment, false)
	}
	var err error
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if m, err = r.mapping(c, m, false); err != nil {
				return nil, err
			}
		}
	case yaml.SequenceNode:
		return nil, &Error{Kind: ErrMalformed, Detail: "a YAML document that is a sequence is not supported", Line: n.Line}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			m = mappingComments(m, k.HeadComment, false)
			m = mappingComments(m, k.LineComment, false)
			scalarish := v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode
			if scalarish {
				m = mappingComments(m, v.HeadComment, false)
				m = mappingComments(m, v.LineComment, true)
			}
			key, ok := scalarValue(k).(string)
			if !ok {
				return nil, &Error{Kind: ErrMalformed, Detail: "a mapping key is not a string (sops supports string keys only)", Line: k.Line}
			}
			val, err := r.value(v, scalarish)
			if err != nil {
				return nil, err
			}
			m = append(m, Item{Key: key, Value: val})
			if scalarish {
				m = mappingComments(m, v.FootComment, false)
			}
			m = mappingComments(m, k.FootComment, false)
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return m, nil // an empty document; its foot comment is dropped, as in sops
		}
		return nil, &Error{Kind: ErrMalformed, Detail: "a YAML document that is a scalar is not supported", Line: n.Line}
	case yaml.AliasNode:
		if m, err = r.mapping(n.Alias, m, false); err != nil {
			return nil, err
		}
	}
	if !handled {
		m = mappingComments(m, n.FootComment, false)
	}
	return m, nil
}

func (r *yamlReader) value(n *yaml.Node, handled bool) (any, error) {
	if err := r.spend(n); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.SequenceNode:
		var l List
		if !handled {
			l = listComments(l, n.HeadComment, false)
			l = listComments(l, n.LineComment, false)
		}
		for _, item := range n.Content {
			l = listComments(l, item.HeadComment, false)
			l = listComments(l, item.LineComment, true)
			v, err := r.value(item, true)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			l = listComments(l, item.FootComment, false)
		}
		if !handled {
			l = listComments(l, n.FootComment, false)
		}
		return l, nil
	case yaml.MappingNode:
		return r.mapping(n, make(Mapping, 0), handled)
	case yaml.ScalarNode:
		return scalarValue(n), nil
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return r.value(n.Alias, false)
	}
	return nil, nil
}

// scalarValue decodes a scalar into the Go value yaml/v3 gives an
// interface (a failed decode gives nil, as sops ignores the error). Plain
// and quoted strings, the bulk of any file, skip the decoder.
func scalarValue(n *yaml.Node) any {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		return n.Value
	}
	var v any
	_ = n.Decode(&v)
	return v
}

// emitYAML writes branches as a YAML stream the way sops does: a 4-space
// indent, comments placed back as head, line and foot comments.
func emitYAML(branches []Mapping) ([]byte, error) {
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(4)
	for _, branch := range branches {
		mapping := &yaml.Node{Kind: yaml.MappingNode}
		appendYAMLMapping(branch, mapping)
		doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{mapping}}
		if err := encodeSafely(e, doc); err != nil {
			return nil, err
		}
	}
	_ = e.Close()
	return b.Bytes(), nil
}

var errEmit = errors.New("cannot be emitted as YAML")

// encodeSafely turns an encoder panic into an error without its message
// (which could quote a value).
func encodeSafely(e *yaml.Encoder, n *yaml.Node) (err error) {
	defer func() {
		if recover() != nil {
			err = errEmit
		}
	}()
	if e.Encode(n) != nil {
		return errEmit
	}
	return nil
}

// EncodeYAML encodes a value the way sops emits it: a Mapping as a
// document (like a whole file), a List or scalar as a lone value.
func EncodeYAML(v any) ([]byte, error) {
	if m, ok := v.(Mapping); ok {
		return emitYAML([]Mapping{m})
	}
	n := yamlNode(v)
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	if err := encodeSafely(e, n); err != nil {
		return nil, err
	}
	_ = e.Close()
	return b.Bytes(), nil
}

func joinComments(node *string, comments []string, appendAfter bool) {
	if len(comments) == 0 {
		return
	}
	c := "#" + strings.Join(comments, "\n#")
	switch {
	case *node == "":
		*node = c
	case appendAfter:
		*node += "\n" + c
	default:
		*node = c + "\n" + *node
	}
}

func appendYAMLMapping(m Mapping, mapping *yaml.Node) {
	var head, inline []string
	beginning := true
	for _, it := range m {
		if it.Comment != nil {
			if it.Comment.Inline {
				inline = append(inline, it.Comment.Text)
			} else {
				head = append(head, it.Comment.Text)
			}
			continue
		}
		if beginning {
			joinComments(&mapping.HeadComment, head, false)
			head, beginning = nil, false
		}
		k := keyNode(it.Key)
		joinComments(&k.HeadComment, head, false)
		head = nil
		v := yamlNode(it.Value)
		joinComments(&v.LineComment, inline, true)
		inline = nil
		mapping.Content = append(mapping.Content, k, v)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if beginning {
			joinComments(&mapping.HeadComment, head, false)
		} else {
			joinComments(&mapping.Content[len(mapping.Content)-2].FootComment, head, true)
		}
	}
}

func appendYAMLList(l List, seq *yaml.Node) {
	var head, inline []string
	beginning := true
	for _, item := range l {
		if c, ok := item.(Comment); ok {
			if c.Inline {
				inline = append(inline, c.Text)
			} else {
				head = append(head, c.Text)
			}
			continue
		}
		if beginning {
			joinComments(&seq.HeadComment, head, false)
			head, beginning = nil, false
		}
		n := yamlNode(item)
		joinComments(&n.HeadComment, head, false)
		head = nil
		joinComments(&n.LineComment, inline, true)
		inline = nil
		seq.Content = append(seq.Content, n)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if beginning {
			joinComments(&seq.HeadComment, head, false)
		} else {
			joinComments(&seq.Content[len(seq.Content)-1].FootComment, head, true)
		}
	}
}

func yamlNode(v any) *yaml.Node {
	switch x := v.(type) {
	case Mapping:
		n := &yaml.Node{Kind: yaml.MappingNode}
		appendYAMLMapping(x, n)
		return n
	case List:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		appendYAMLList(x, n)
		return n
	default:
		return scalarNode(v)
	}
}

// scalarNode is yaml's Node.Encode of a scalar, which emits and re-parses
// the value to choose its style; fastScalarNode builds the same node
// directly for the common cases.
func scalarNode(v any) *yaml.Node {
	if n, ok := fastScalarNode(v); ok {
		return n
	}
	n := &yaml.Node{}
	_ = encodeValueSafely(n, v)
	return n
}

// fastScalarNode returns the node Node.Encode gives for ints, bools, nil
// and strings that can only be plain YAML strings: a letter followed by
// letters, digits and _ . / + = - (base64 data, names, URLs without a
// colon), other than the words YAML reads as booleans or null. Encode emits
// these plain and reads them back as untagged !!str scalars. A test checks
// the equivalence against Encode.
func fastScalarNode(v any) (*yaml.Node, bool) {
	switch x := v.(type) {
	case string:
		if !plainString(x) {
			return nil, false
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}, true
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)}, true
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}, true
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, true
	}
	return nil, false
}

func plainString(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '.', c == '/', c == '+', c == '=', c == '-':
		default:
			return false
		}
	}
	if len(s) <= 5 {
		switch strings.ToLower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return false
		}
	}
	return true
}

// keyNode is scalarNode for a mapping key. Keys repeat across files (every
// kubeconfig has the same ones) and are cleartext in a SOPS file, so their
// nodes are remembered; a node only depends on its string. Values, which may
// be secrets, are never kept.
func keyNode(key string) *yaml.Node {
	keyCache.Lock()
	cached, ok := keyCache.nodes[key]
	keyCache.Unlock()
	if ok {
		n := *cached
		return &n
	}
	n := scalarNode(key)
	c := *n
	keyCache.Lock()
	if len(keyCache.nodes) < 4096 {
		if keyCache.nodes == nil {
			keyCache.nodes = map[string]*yaml.Node{}
		}
		keyCache.nodes[key] = &c
	}
	keyCache.Unlock()
	return n
}

var keyCache struct {
	sync.Mutex
	nodes map[string]*yaml.Node // never mutated once stored
}

func encodeValueSafely(n *yaml.Node, v any) (err error) {
	defer func() {
		if recover() != nil {
			err = errEmit
		}
	}()
	return n.Encode(v)
}
