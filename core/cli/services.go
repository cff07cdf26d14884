package cli

import "github.com/codextray/codextray/core/login"

// ServicesHook, for tests only, runs once a command's login services are
// up (the interop tests hold processes there to release them together).
var ServicesHook func()

// newServices builds the login services the commands share.
func newServices(env Env) (*login.Service, error) {
	svc, err := login.New(ReadVersion(env.FyneAppTOML).Version)
	if err == nil && ServicesHook != nil {
		ServicesHook()
	}
	return svc, err
}
