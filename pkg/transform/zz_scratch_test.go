package transform

import (
	"fmt"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

func TestScratch(t *testing.T) {
	m := "MARKER7Q"
	for _, in := range []string{
		"MARKER7Q",
		"- MARKER7Q",
		"{MARKER7Q",
		"apiVersion: v1\nkind: MARKER7Q\n",
		"apiVersion: MARKER7Q\nkind: Config\n",
		"clusters: MARKER7Q\n",
		"clusters:\n- name: a\n  cluster: MARKER7Q\n",
		"clusters:\n- name: a\n  cluster:\n    server: [MARKER7Q]\n",
		"users:\n- name: a\n  user:\n    token: {a: MARKER7Q}\n",
		"users:\n- name: a\n  user:\n    client-certificate-data: MARKER7Q!!\n",
		"key: 'MARKER7Q\n",
		"a: b\n  MARKER7Q: c\n",
		"\tMARKER7Q: x\n",
		"a: &x MARKER7Q\nb: *y\n",
		"current-context: 5\nMARKER7Q: [\n",
		"{\"a\": \"MARKER7Q\" ",
		"a: 1\na: MARKER7Q\n",
		"users:\n- name: MARKER7Q\n  user: {}\n- name: MARKER7Q\n  user: {}\n",
	} {
		_, err := clientcmd.Load([]byte(in))
		fmt.Printf("%q\n  -> %v\n  -> red: %s\n", in, err, func() string { if err == nil {return ""}; return redactQuoted(err.Error())}())
		_ = m
	}
}
