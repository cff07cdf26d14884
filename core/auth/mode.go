package auth

// Mode is how a Codex login signs in, as auth.json's auth_mode names it.
type Mode string

const (
	// ModeChatGPT is a ChatGPT subscription's tokens (OAuth).
	ModeChatGPT Mode = "chatgpt"
	// ModeAPIKey is an OpenAI API key.
	ModeAPIKey Mode = "apikey"
	// ModeNone is no usable login (signed out, or unreadable).
	ModeNone Mode = "none"
	// modeChatGPTAuthTokens is what an app-server client writes for a
	// ChatGPT login it manages; Codex treats it as ChatGPT.
	modeChatGPTAuthTokens Mode = "chatgptAuthTokens"
	// modePersonalAccessToken and modeBedrockAPIKey are logins Codex knows
	// and Codex Tray does not support.
	modePersonalAccessToken Mode = "personalAccessToken"
	modeBedrockAPIKey       Mode = "bedrockApiKey"
)
