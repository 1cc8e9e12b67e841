// The pod sandbox's "pause" program of the embedded cluster: it waits for a signal.
module dfp.internal/pause

go 1.24.0
