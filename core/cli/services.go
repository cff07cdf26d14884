package cli

import "github.com/codextray/codextray/core/login"

// newServices builds the login services the commands share.
func newServices(env Env) (*login.Service, error) {
	svc, err := login.New(ReadVersion(env.FyneAppTOML).Version)
	if err == nil && env.Services != nil {
		env.Services(svc)
	}
	return svc, err
}
