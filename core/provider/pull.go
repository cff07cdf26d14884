package provider

import "iter"

// pullEvents turns the decoder's push iterator into next/stop.
func pullEvents(seq iter.Seq2[Event, error]) (next func() (Event, error, bool), stop func()) {
	return iter.Pull2(seq)
}
