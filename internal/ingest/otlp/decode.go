package otlp

import (
	"fmt"
)

// encoding is the wire format of a request body.
type encoding int

const (
	encProto encoding = iota
	encJSON
)

func (e encoding) String() string {
	if e == encJSON {
		return "JSON"
	}
	return "protobuf"
}

// pdataRequest is what ptraceotlp, plogotlp and pmetricotlp ExportRequests have in common.
type pdataRequest interface {
	UnmarshalProto(data []byte) error
	UnmarshalJSON(data []byte) error
}

func unmarshal(req pdataRequest, body []byte, enc encoding) error {
	if enc == encJSON {
		return req.UnmarshalJSON(body)
	}
	return req.UnmarshalProto(body)
}

// idFixes is what the tolerant fallback found: pdata refuses a whole request when any trace or
// span id has the wrong length, but OTLP wants only the offending item refused. The fallback
// removes such ids so that pdata can decode the rest, and records per item ordinal (the item's
// position in the request, counting across resource and scope groups) what was wrong, so the
// conversion can reject the span or unlink the log record.
type idFixes struct {
	bad            map[int]string // item ordinal → problem
	linksDropped   int
	exemplarsFixed int
	changed        bool
}

func (f *idFixes) mark(ord int, problem string) {
	if f.bad == nil {
		f.bad = make(map[int]string)
	}
	if prev, ok := f.bad[ord]; ok {
		problem = prev + "; " + problem
	}
	f.bad[ord] = problem
	f.changed = true
}

// decodeTolerant unmarshals body into newReq(); when pdata refuses it, it retries once on a
// copy whose unusable ids were removed by fix. It returns the request, the fixes (nil when
// none were needed) and an error only when the body cannot be decoded either way.
func decodeTolerant[R pdataRequest](body []byte, enc encoding, newReq func() R,
	fix func([]byte, encoding) ([]byte, *idFixes, error)) (R, *idFixes, error) {
	req := newReq()
	err := unmarshal(req, body, enc)
	if err == nil {
		return req, nil, nil
	}
	fixed, fixes, ferr := fix(body, enc)
	if ferr != nil || !fixes.changed {
		return req, nil, fmt.Errorf("decode %s request (%d bytes): %w", enc, len(body), err)
	}
	req = newReq()
	if err2 := unmarshal(req, fixed, enc); err2 != nil {
		return req, nil, fmt.Errorf("decode %s request (%d bytes): %w", enc, len(body), err2)
	}
	return req, fixes, nil
}
