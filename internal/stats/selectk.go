package stats

// selectK partially orders d so that d[k] is the k-th smallest value, all
// before it ≤ d[k] and all after it ≥ d[k] (Hoare's quickselect, median of
// three). A Theil–Sen fit needs three or four order statistics of its
// n(n-1)/2 slopes, so selecting is O(n²) where sorting would be O(n² log n).
func selectK(d []float64, k int) {
	lo, hi := 0, len(d)-1
	for hi > lo {
		mid := lo + (hi-lo)/2
		if d[mid] < d[lo] {
			d[mid], d[lo] = d[lo], d[mid]
		}
		if d[hi] < d[lo] {
			d[hi], d[lo] = d[lo], d[hi]
		}
		if d[hi] < d[mid] {
			d[hi], d[mid] = d[mid], d[hi]
		}
		pivot := d[mid]
		i, j := lo, hi
		for i <= j {
			for d[i] < pivot {
				i++
			}
			for d[j] > pivot {
				j--
			}
			if i <= j {
				d[i], d[j] = d[j], d[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// orderStat returns the k-th smallest of d (0-based), reordering d.
func orderStat(d []float64, k int) float64 {
	selectK(d, k)
	return d[k]
}
