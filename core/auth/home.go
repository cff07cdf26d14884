package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"github.com/codextray/codextray/core/userfile"
)

// AuthFileName is the file Codex keeps its login in, inside CODEX_HOME.
const AuthFileName = "auth.json"

// Store is Codex's configured credential store (config.toml
// cli_auth_credentials_store).
type Store string

const (
	StoreFile      Store = "file"
	StoreKeyring   Store = "keyring"
	StoreAuto      Store = "auto"
	StoreEphemeral Store = "ephemeral"
)

// Config is the part of $CODEX_HOME/config.toml that Codex Tray reads.
type Config struct {
	Store          Store
	ChatGPTBaseURL string
	OpenAIBaseURL  string
}

// ResolveHome returns CODEX_HOME from the environment, else ~/.codex. The
// directory need not exist.
func ResolveHome() (string, error) {
	if h := os.Getenv("CODEX_HOME"); h != "" {
		return filepath.Abs(h)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the Codex home: set CODEX_HOME (%w)", err)
	}
	return filepath.Join(home, ".codex"), nil
}

// maxConfigSize bounds config.toml: Codex's is a few KiB.
const maxConfigSize = 1 << 20

// LoadConfig reads config.toml in home. A missing file gives the defaults.
func LoadConfig(home string) (Config, error) {
	cfg := Config{Store: StoreFile}
	var raw struct {
		Store          string `toml:"cli_auth_credentials_store"`
		ChatGPTBaseURL string `toml:"chatgpt_base_url"`
		OpenAIBaseURL  string `toml:"openai_base_url"`
	}
	path := filepath.Join(home, "config.toml")
	data, err := userfile.Read(path, maxConfigSize)
	var tooLarge *userfile.TooLargeError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return cfg, nil
	case errors.Is(err, userfile.ErrNotRegular):
		return cfg, fmt.Errorf("%s is not a regular file; Codex Tray does not read it", path)
	case errors.As(err, &tooLarge):
		return cfg, fmt.Errorf("%s is larger than 1 MiB; it is not a Codex configuration", path)
	case err != nil:
		return cfg, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return cfg, fmt.Errorf("%s is not valid TOML: %w", path, err)
	}
	switch Store(raw.Store) {
	case "":
	case StoreFile, StoreKeyring, StoreAuto, StoreEphemeral:
		cfg.Store = Store(raw.Store)
	default:
		return cfg, fmt.Errorf("%s: unknown cli_auth_credentials_store %q, expected one of file, keyring, auto, ephemeral", path, raw.Store)
	}
	cfg.ChatGPTBaseURL = raw.ChatGPTBaseURL
	cfg.OpenAIBaseURL = raw.OpenAIBaseURL
	return cfg, nil
}

// KeyringUser is the account name of Codex's own keyring entry for home:
// "cli|" and the first 16 hex digits of sha256 of the canonical path.
func KeyringUser(home string) string {
	p := home
	if real, err := filepath.EvalSymlinks(home); err == nil {
		p = real
	}
	p = filepath.Clean(p)
	sum := sha256.Sum256([]byte(p))
	return "cli|" + hex.EncodeToString(sum[:])[:16]
}

// KeyringService is the service name of Codex's own keyring entry.
const KeyringService = "Codex Auth"
