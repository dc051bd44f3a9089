//go:build deps

// This file pins the modules deckhand's packages are about to use, so that
// `go mod tidy` keeps them while the packages are being written.
package deckhand

import (
	_ "github.com/aymanbagabas/go-udiff"
	_ "github.com/bmatcuk/doublestar/v4"
	_ "github.com/go-git/go-git/v5/plumbing/format/gitignore"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/openai/openai-go/v3/option"
	_ "github.com/openai/openai-go/v3/packages/param"
	_ "github.com/openai/openai-go/v3/packages/ssestream"
	_ "github.com/openai/openai-go/v3/responses"
	_ "github.com/openai/openai-go/v3/shared"
	_ "github.com/pkg/browser"
	_ "github.com/sourcegraph/jsonrpc2"
	_ "go.uber.org/zap"
	_ "go.uber.org/zap/zaptest/observer"
)
