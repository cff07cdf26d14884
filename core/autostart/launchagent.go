package autostart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
)

// launchAgentCreatedDirKey records that Enable created ~/Library/LaunchAgents;
// launchd ignores keys it does not know.
const launchAgentCreatedDirKey = "X-CodextrayCreatedDirectory"

// launchAgentEntry is the per-user LaunchAgent in home/Library/LaunchAgents.
func launchAgentEntry(home string) fileEntry {
	return fileEntry{
		path:   filepath.Join(home, "Library", "LaunchAgents", ID+".plist"),
		render: LaunchAgentPlist,
		parse:  parseLaunchAgent,
	}
}

// LaunchAgentPlist renders the LaunchAgent that starts exe when the user
// logs in (launchd.plist(5)). createdDir is recorded so that Disable can
// remove a ~/Library/LaunchAgents that Enable had to create.
func LaunchAgentPlist(exe string, createdDir bool) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString("<plist version=\"1.0\">\n<dict>\n")
	fmt.Fprintf(&b, "\t<key>Label</key>\n\t<string>%s</string>\n", xmlText(ID))
	fmt.Fprintf(&b, "\t<key>ProgramArguments</key>\n\t<array>\n\t\t<string>%s</string>\n\t</array>\n", xmlText(exe))
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	// A GUI agent: started in the user's Aqua session, scheduled as interactive.
	b.WriteString("\t<key>ProcessType</key>\n\t<string>Interactive</string>\n")
	b.WriteString("\t<key>LimitLoadToSessionType</key>\n\t<string>Aqua</string>\n")
	if createdDir {
		fmt.Fprintf(&b, "\t<key>%s</key>\n\t<true/>\n", launchAgentCreatedDirKey)
	}
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes()
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// parseLaunchAgent reads the top-level dict of a plist: the agent is ours
// when its Label is ID, active unless RunAtLoad is false or Disabled true.
func parseLaunchAgent(content []byte) (ours, active, createdDir bool) {
	d, err := PlistDict(content)
	if err != nil {
		return false, false, false
	}
	ours = d["Label"] == ID
	active = d["RunAtLoad"] == true && d["Disabled"] != true
	createdDir = d[launchAgentCreatedDirKey] == true
	return ours, active, createdDir
}

// PlistDict decodes the top-level dict of an XML property list into Go
// values: string, bool, []any, map[string]any (integers, reals and dates
// stay strings). It is enough to check the plists this project writes.
func PlistDict(content []byte) (map[string]any, error) {
	dec := xml.NewDecoder(bytes.NewReader(content))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("plist: no top-level dict: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "dict" {
			v, err := plistValue(dec, se)
			if err != nil {
				return nil, err
			}
			return v.(map[string]any), nil
		}
	}
}

func plistValue(dec *xml.Decoder, se xml.StartElement) (any, error) {
	switch se.Name.Local {
	case "true", "false":
		if err := dec.Skip(); err != nil {
			return nil, err
		}
		return se.Name.Local == "true", nil
	case "string", "integer", "real", "date", "data":
		var s string
		if err := dec.DecodeElement(&s, &se); err != nil {
			return nil, err
		}
		return s, nil
	case "array":
		var out []any
		for {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			switch t := tok.(type) {
			case xml.StartElement:
				v, err := plistValue(dec, t)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			case xml.EndElement:
				return out, nil
			}
		}
	case "dict":
		out := map[string]any{}
		key := ""
		for {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			switch t := tok.(type) {
			case xml.StartElement:
				if t.Name.Local == "key" {
					if err := dec.DecodeElement(&key, &t); err != nil {
						return nil, err
					}
					continue
				}
				v, err := plistValue(dec, t)
				if err != nil {
					return nil, err
				}
				out[key] = v
			case xml.EndElement:
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("plist: unexpected <%s>", se.Name.Local)
}
