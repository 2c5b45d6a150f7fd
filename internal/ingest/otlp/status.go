package otlp

import (
	"net/http"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Content types of the two OTLP/HTTP encodings.
const (
	contentTypeProto = "application/x-protobuf"
	contentTypeJSON  = "application/json"
)

func (e encoding) contentType() string {
	if e == encJSON {
		return contentTypeJSON
	}
	return contentTypeProto
}

// grpcCodeFor gives the google.rpc.Status code that matches an HTTP failure status.
func grpcCodeFor(status int) codes.Code {
	switch status {
	case http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		return codes.ResourceExhausted
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusMethodNotAllowed:
		return codes.Unimplemented
	case http.StatusInternalServerError:
		return codes.Internal
	default:
		return codes.InvalidArgument
	}
}

// writeStatus answers with a google.rpc.Status body in the request's encoding, as OTLP/HTTP
// requires for every failure.
func writeStatus(w http.ResponseWriter, enc encoding, status int, msg string) {
	// Messages can quote client bytes; proto3 strings must be valid UTF-8 to encode.
	st := &spb.Status{Code: int32(grpcCodeFor(status)), Message: strings.ToValidUTF8(msg, "\uFFFD")}
	var body []byte
	var err error
	if enc == encJSON {
		body, err = protojson.Marshal(st)
	} else {
		body, err = proto.Marshal(st)
	}
	if err != nil { // cannot happen for a Status with a valid string; answer without a body
		body = nil
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
