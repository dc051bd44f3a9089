// Package e2e drives the built deckhand binary over pipes, as an editor
// would, against a real HTTP fake of OpenAI's services.
package e2e
