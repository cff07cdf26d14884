//go:build !windows && !darwin && !js && !android

package fynelocale

import (
	"os"
	"strings"

	"golang.org/x/text/language"
)

func init() {
	if v, changed := fyneLanguage(os.Getenv); changed {
		_ = os.Setenv("LANGUAGE", v)
	}
}

// fyneLanguage returns the LANGUAGE value that makes every locale Fyne reads
// parseable, and whether LANGUAGE must change to it. getenv is os.Getenv
// (a parameter for the tests).
func fyneLanguage(getenv func(string) string) (string, bool) {
	entries := fyneLocales(getenv)
	var kept []string
	changed := false
	for _, e := range entries {
		if _, err := language.Parse(tag(e)); err == nil {
			kept = append(kept, e)
			continue
		}
		changed = true
		// "sr_RS@latin" → "sr_RS": the modifier is what did not parse.
		if base, _, ok := strings.Cut(e, "@"); ok {
			if _, err := language.Parse(tag(base)); err == nil {
				kept = append(kept, base)
			}
		}
	}
	if !changed {
		return "", false
	}
	if len(kept) == 0 {
		kept = []string{"en"}
	}
	return strings.Join(kept, ":"), true
}

// fyneLocales is the list of locales go-locale (v0.0.0-20250612000132, the
// version Fyne 2.7 uses) hands Fyne on Linux and the BSDs, before it turns
// each into a tag: nil for C, POSIX or no locale.
func fyneLocales(getenv func(string) string) []string {
	locale := ""
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(name); locale != "" {
			break
		}
	}
	if locale == "C" || locale == "POSIX" {
		return nil
	}
	if l := getenv("LANGUAGE"); l != "" {
		locale = l
	}
	if locale == "" {
		return nil
	}
	return strings.Split(locale, ":")
}

// tag is go-locale's conversion of one POSIX locale to a BCP 47 tag:
// "en_US.UTF-8" → "en-US". The codeset goes; a "@modifier" stays.
func tag(posix string) string {
	s, _, _ := strings.Cut(posix, ".")
	s = strings.ReplaceAll(s, "-", "_")
	lang, region, _ := strings.Cut(s, "_")
	if region == "" {
		return lang
	}
	return lang + "-" + region
}
