//go:build race

package explore

// raceEnabled: the race detector makes every step several times slower,
// so the CI run (go test -race) explores a sample.
const raceEnabled = true
