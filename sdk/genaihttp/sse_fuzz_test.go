package genaihttp

import (
	"reflect"
	"testing"
	"time"
)

// FuzzSSESink feeds arbitrary streams, split at an arbitrary point, to the
// SSE parser: it must never panic, and how the bytes are split across reads
// must not change the result.
func FuzzSSESink(f *testing.F) {
	f.Add([]byte("data: {\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"+
		"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"lo\"}}]},\"finish_reason\":null}]}\n\n"+
		"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n"+
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n"), 17)
	f.Add([]byte(": keep-alive\n\nevent: error\ndata: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"), 5)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		parse := func(parts ...[]byte) *result {
			res := newResult(true)
			s := &sseSink{res: res, start: time.Now()}
			for _, p := range parts {
				s.write(p)
			}
			s.done()
			res.ttft = 0
			return res
		}
		if cut < 0 {
			cut = -cut
		}
		if len(stream) > 0 {
			cut %= len(stream) + 1
		} else {
			cut = 0
		}
		whole := parse(stream)
		split := parse(stream[:cut], stream[cut:])
		if whole.id != split.id || whole.model != split.model ||
			!reflect.DeepEqual(whole.finishReasons(), split.finishReasons()) ||
			!reflect.DeepEqual(outputMessages(whole), outputMessages(split)) {
			t.Errorf("split at %d changed the result", cut)
		}
	})
}
