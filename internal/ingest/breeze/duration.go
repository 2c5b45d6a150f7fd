package breeze

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// maxDays bounds the day prefix so that the duration fits an int64 of nanoseconds.
const maxDays = 106751

// ParseDuration parses an Application Insights duration, .NET TimeSpan style:
// `[d.]hh:mm:ss[.fffffff]`. Python writes a day prefix always (`0.00:00:01.234`), JS only past a
// day (`00:00:00.0491587`); the fraction has 0–7 digits (100 ns ticks at most).
func ParseDuration(s string) (time.Duration, error) {
	d, ok := parseDuration(s)
	if !ok {
		return 0, fmt.Errorf("duration %q is not [d.]hh:mm:ss[.fffffff] (e.g. 00:00:00.0491587 or 0.00:00:01.234)", truncate(s, 64))
	}
	return d, nil
}

func parseDuration(s string) (time.Duration, bool) {
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return 0, false
	}
	var days int64
	hoursText := s[:colon]
	if dot := strings.IndexByte(hoursText, '.'); dot >= 0 {
		var ok bool
		if days, ok = digits(hoursText[:dot], 1, 6); !ok || days > maxDays {
			return 0, false
		}
		hoursText = hoursText[dot+1:]
	}
	hours, ok := digits(hoursText, 1, 2)
	if !ok || hours > 23 && days > 0 {
		return 0, false
	}
	rest := s[colon+1:]
	if len(rest) < 4 || rest[2] != ':' {
		return 0, false
	}
	minutes, ok1 := digits(rest[:2], 2, 2)
	secText, fracText, hasFrac := strings.Cut(rest[3:], ".")
	seconds, ok2 := digits(secText, 2, 2)
	if !ok1 || !ok2 || minutes > 59 || seconds > 60 {
		return 0, false
	}
	var frac time.Duration
	if hasFrac {
		ticks, ok := digits(fracText, 0, 7)
		if !ok {
			return 0, false
		}
		for range 7 - len(fracText) {
			ticks *= 10
		}
		frac = time.Duration(ticks) * 100
	}
	total := ((days*24+hours)*60+minutes)*60 + seconds
	if total > (math.MaxInt64-int64(frac))/int64(time.Second) {
		return 0, false // past what a time.Duration holds (about 292 years)
	}
	return time.Duration(total)*time.Second + frac, true
}

// digits parses s as a decimal number of minLen..maxLen ASCII digits ("" is 0 when minLen is 0).
func digits(s string, minLen, maxLen int) (int64, bool) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// truncate keeps error messages short when a field holds something huge.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
