// The tests' static smoke program for the embedded cluster (tests/cluster.test.ts).
module dfp.internal/cluster-smoke

go 1.24.0
