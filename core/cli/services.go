package cli

import (
	"fmt"

	"github.com/codextray/codextray/core/login"
)

// newServices builds the login services the commands share.
func newServices(env Env) (*login.Service, error) {
	svc, err := login.New(ReadVersion(env.FyneAppTOML).Version)
	if err == nil && env.Services != nil {
		env.Services(svc)
	}
	return svc, err
}

// services is newServices for a command: nil, after saying why, when they
// cannot be built.
func services(env Env) *login.Service {
	svc, err := newServices(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return nil
	}
	return svc
}
