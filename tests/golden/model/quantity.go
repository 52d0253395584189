package main

// Exact-arithmetic model of k8s.io/apimachinery/pkg/api/resource.Quantity:
// ParseQuantity grammar, rounding up (away from zero) to nano precision,
// cap at 2^63-1, Value() = ScaledValue(0) and MilliValue() = ScaledValue(-3),
// both rounded up.

import (
	"errors"
	"math/big"
	"strconv"
	"strings"
)

type Quantity struct {
	S   string
	Val *big.Rat // exact value after nano rounding and capping
}

var errFormat = errors.New("quantities must match the regular expression")

func parseQuantityString(str string) (positive bool, value, num, denom, suffix string, err error) {
	positive = true
	pos := 0
	end := len(str)
	if pos < end {
		switch str[0] {
		case '-':
			positive = false
			pos++
		case '+':
			pos++
		}
	}
Zeroes:
	for i := pos; ; i++ {
		if i >= end {
			num = "0"
			value = num
			return
		}
		switch str[i] {
		case '0':
			pos++
		default:
			break Zeroes
		}
	}
Num:
	for i := pos; ; i++ {
		if i >= end {
			num = str[pos:end]
			value = str[0:end]
			return
		}
		switch str[i] {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		default:
			num = str[pos:i]
			pos = i
			break Num
		}
	}
	if len(num) == 0 {
		num = "0"
	}
	if pos < end && str[pos] == '.' {
		pos++
	Denom:
		for i := pos; ; i++ {
			if i >= end {
				denom = str[pos:end]
				value = str[0:end]
				return
			}
			switch str[i] {
			case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			default:
				denom = str[pos:i]
				pos = i
				break Denom
			}
		}
	}
	value = str[0:pos]
	suffixStart := pos
	for i := pos; ; i++ {
		if i >= end {
			suffix = str[suffixStart:end]
			return
		}
		if !strings.ContainsAny(str[i:i+1], "eEinumkKMGTP") {
			pos = i
			break
		}
	}
	if pos < end {
		switch str[pos] {
		case '-', '+':
			pos++
		}
	}
Suffix:
	for i := pos; ; i++ {
		if i >= end {
			suffix = str[suffixStart:end]
			return
		}
		switch str[i] {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		default:
			break Suffix
		}
	}
	err = errFormat
	return
}

func interpretSuffix(s string) (base, exp int64, ok bool) {
	switch s {
	case "":
		return 10, 0, true
	case "n":
		return 10, -9, true
	case "u":
		return 10, -6, true
	case "m":
		return 10, -3, true
	case "k":
		return 10, 3, true
	case "M":
		return 10, 6, true
	case "G":
		return 10, 9, true
	case "T":
		return 10, 12, true
	case "P":
		return 10, 15, true
	case "E":
		return 10, 18, true
	case "Ki":
		return 2, 10, true
	case "Mi":
		return 2, 20, true
	case "Gi":
		return 2, 30, true
	case "Ti":
		return 2, 40, true
	case "Pi":
		return 2, 50, true
	case "Ei":
		return 2, 60, true
	}
	if len(s) > 1 && (s[0] == 'E' || s[0] == 'e') {
		p, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		return 10, p, true
	}
	return 0, 0, false
}

var maxAllowed = new(big.Rat).SetInt64(1<<63 - 1)
var nano = big.NewInt(1000000000)

func ParseQuantity(str string) (Quantity, error) {
	if len(str) == 0 {
		return Quantity{}, errors.New("quantities must match the regular expression")
	}
	positive, _, num, denom, suffix, err := parseQuantityString(str)
	if err != nil {
		return Quantity{}, err
	}
	base, exp, ok := interpretSuffix(suffix)
	if !ok {
		return Quantity{}, errors.New("unable to parse quantity's suffix")
	}
	// exact value of num.denom
	digits := num + denom
	n, ok2 := new(big.Int).SetString(digits, 10)
	if !ok2 {
		return Quantity{}, errFormat
	}
	r := new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(denom))), nil))
	if base == 10 {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(exp)), nil)
		if exp >= 0 {
			r.Mul(r, new(big.Rat).SetInt(p))
		} else {
			r.Quo(r, new(big.Rat).SetInt(p))
		}
	} else {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(exp))))
	}
	// round up (away from zero) to nano
	if r.Sign() != 0 {
		x := new(big.Rat).Mul(r, new(big.Rat).SetInt(nano))
		c := ceilRat(x)
		r = new(big.Rat).SetFrac(c, nano)
	}
	if r.Cmp(maxAllowed) > 0 {
		r = new(big.Rat).Set(maxAllowed)
	}
	if !positive {
		r.Neg(r)
	}
	return Quantity{S: str, Val: r}, nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// ceilRat rounds a non-negative rational up.
func ceilRat(x *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if m.Sign() != 0 {
		if x.Sign() > 0 {
			q.Add(q, big.NewInt(1))
		} else {
			q.Sub(q, big.NewInt(1))
		}
	}
	return q
}

func (q *Quantity) UnmarshalJSON(b []byte) error {
	l := len(b)
	if l == 4 && string(b) == "null" {
		*q = Quantity{Val: new(big.Rat)}
		return nil
	}
	if l >= 2 && b[0] == '"' && b[l-1] == '"' {
		b = b[1 : l-1]
	}
	p, err := ParseQuantity(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	*q = p
	return nil
}

// Value = ScaledValue(0) rounded away from zero; MilliValue likewise at scale -3.
func (q Quantity) Value() int64 {
	return ceilRat(q.Val).Int64()
}

func (q Quantity) MilliValue() int64 {
	return ceilRat(new(big.Rat).Mul(q.Val, big.NewRat(1000, 1))).Int64()
}

const MaxMilliValue = int64(((1 << 63) - 1) / 1000)

func convertValueToFloat64(q Quantity) float64 {
	if q.Value() > MaxMilliValue {
		return float64(q.Value())
	}
	return float64(q.MilliValue()) / 1000
}
