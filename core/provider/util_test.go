package provider

import (
	"encoding/json"
	"time"

	"github.com/codextray/codextray/core/auth"
)

func unix(s int64) time.Time { return time.Unix(s, 0) }

func authSecret(s string) auth.Secret { return auth.NewSecret(s) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
