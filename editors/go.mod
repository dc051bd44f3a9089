// The editors hold no Go code. This file makes editors/ a module of its own
// so that the Go sources some npm packages ship (under node_modules, once
// the editors' suites have installed them) stay out of deckhand's ./...:
// go test, go vet and staticcheck would otherwise take them for packages of
// deckhand's own.
module github.com/deckhand-dev/deckhand/editors

go 1.26.0
