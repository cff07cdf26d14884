//go:build !windows && !darwin && !js && !android

package fynelocale

import "testing"

func TestFyneLanguage(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		want    string
		changed bool
	}{
		{env: map[string]string{}},
		{env: map[string]string{"LANG": "C"}},
		{env: map[string]string{"LANG": "POSIX"}},
		{env: map[string]string{"LANG": "en_US.UTF-8"}},
		{env: map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "de_DE:en"}},
		{env: map[string]string{"LC_ALL": "C", "LANGUAGE": "xx"}}, // C wins over LANGUAGE
		{env: map[string]string{"LANG": "C.UTF-8"}, want: "en", changed: true},
		{env: map[string]string{"LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}, want: "en", changed: true},
		{env: map[string]string{"LANG": "xx_YY.UTF-8"}, want: "en", changed: true},
		{env: map[string]string{"LC_MESSAGES": "sr_RS@latin"}, want: "sr_RS", changed: true},
		{env: map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "xx:de:"}, want: "de", changed: true},
	} {
		got, changed := fyneLanguage(func(k string) string { return c.env[k] })
		if got != c.want || changed != c.changed {
			t.Errorf("%v: LANGUAGE %q, changed %v; want %q, %v", c.env, got, changed, c.want, c.changed)
		}
	}
}
