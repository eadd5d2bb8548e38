module github.com/leakslope/leakslope

go 1.26.0

require github.com/onsi/gomega v1.44.0
