package sopsfile

import (
	"bytes"
	"strings"

	"gopkg.in/ini.v1"
)

// INI files are parsed with gopkg.in/ini.v1 (the parser sops uses) allowing
// repeated sections. The tree has one entry per section (the DEFAULT section
// first) whose value maps the section's keys to their string values; a
// section's comment comes first, a key's comment right after the key. The
// metadata is the [sops] section, flattened, with "\n" written for newlines.

func loadINI(in []byte) ([]Mapping, error) {
	f, err := loadINISafely(in)
	if err != nil {
		return nil, malformed("is not a valid INI file", err)
	}
	var branch Mapping
	for _, section := range f.Sections() {
		var items Mapping
		if section.Comment != "" {
			items = append(items, Item{Comment: &Comment{Text: stripINIComment(section.Comment)}})
		}
		for _, key := range section.Keys() {
			items = append(items, Item{Key: key.Name(), Value: key.Value()})
			if key.Comment != "" {
				items = append(items, Item{Comment: &Comment{Text: stripINIComment(key.Comment)}})
			}
		}
		branch = append(branch, Item{Key: section.Name(), Value: items})
	}
	return []Mapping{branch}, nil
}

func loadINISafely(in []byte) (f *ini.File, err error) {
	defer func() {
		if recover() != nil {
			f, err = nil, errEmit
		}
	}()
	return ini.LoadSources(ini.LoadOptions{AllowNonUniqueSections: true}, in)
}

func stripINIComment(c string) string {
	switch {
	case strings.HasPrefix(c, ";"):
		return strings.TrimLeft(c, "; ")
	case strings.HasPrefix(c, "#"):
		return strings.TrimLeft(c, "# ")
	}
	return c
}

func emitINI(branches []Mapping) (out []byte, err error) {
	defer func() {
		if recover() != nil {
			out, err = nil, errorf(ErrMalformed, "cannot be emitted as INI")
		}
	}()
	f := ini.Empty(ini.LoadOptions{AllowNonUniqueSections: true})
	f.DeleteSection(ini.DefaultSection)
	for _, branch := range branches {
		for _, it := range branch {
			if it.Comment != nil {
				continue
			}
			section, err := f.NewSection(it.Key)
			if err != nil {
				return nil, errorf(ErrMalformed, "an INI section cannot be emitted")
			}
			items, ok := it.Value.(Mapping)
			if !ok {
				return nil, errorf(ErrMalformed, "an INI section's value is not a mapping")
			}
			first := 0
			if len(items) > 0 && items[0].Comment != nil {
				section.Comment = items[0].Comment.Text
				first = 1
			}
			var last *ini.Key
			for _, kv := range items[first:] {
				if kv.Comment != nil {
					if last != nil {
						last.Comment = kv.Comment.Text
					}
					continue
				}
				if last, err = section.NewKey(kv.Key, valueText(kv.Value)); err != nil {
					return nil, errorf(ErrMalformed, "an INI key cannot be emitted")
				}
			}
		}
	}
	var b bytes.Buffer
	_, _ = f.WriteTo(&b)
	return b.Bytes(), nil
}
