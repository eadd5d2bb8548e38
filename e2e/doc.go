// Package e2e checks leakslope from outside: a fresh module that imports
// it through the contract names only, with workloads it has never seen,
// built and run by a real `go test`.
package e2e
