package strategies_test

import (
	"testing"

	"vmabench/strategies"
	"vmabench/strategies/strategytest"
)

// TestConformance runs the conformance suite on every registered model,
// each held to the expectations of its own registry row.
func TestConformance(t *testing.T) {
	for _, info := range strategies.List() {
		if info.New == nil {
			continue // not a model (kernel)
		}
		t.Run(info.Name, func(t *testing.T) { strategytest.Run(t, info) })
	}
}
