// Package e2e holds sidecar's end-to-end scenarios: each runs the real sidecar binary (built
// once per test process) against the real Docker Engine, on a recipe in
// testdata/e2e/<scenario>/, and checks what the engine holds — containers, their start and
// finish times, their IDs, what a published port answers — rather than what was printed.
//
// The recipes take the test image, a unique stack name and a free host port from the
// environment (${SIDECAR_TEST_IMAGE}, ${SIDECAR_TEST_STACK}, ${SIDECAR_TEST_PORT}), so that
// scenarios run in parallel with each other and with other tests on the same engine. Every
// scenario checks that nothing of its stack is left behind.
//
// Some scenarios build their stack in Go and run it with the orchestrator in the test process
// (honoured_test.go): the fields of the model that no recipe decoder reads yet.
//
// Without an engine the scenarios skip, saying why; with CI=true they fail.
package e2e
