package heapdump

import "unsafe"

func uintptrOf(p *[64]byte) uintptr { return uintptr(unsafe.Pointer(p)) }
