package cli

import "github.com/codextray/codextray/core/login"

// newServices builds the login services the commands share.
func newServices(env Env) (*login.Service, error) {
	return login.New(ReadVersion(env.FyneAppTOML).Version)
}
