package standin

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
)

// respond derives the answer from the conversation: a tool call when a
// weather question meets a weather tool, a summary of a tool result, a trail
// for hiking prompts, a supplies list for camping prompts.
func respond(req chatRequest) answer {
	last := req.Messages[len(req.Messages)-1]
	if last.Role == "tool" {
		return answer{Text: weatherSummary(last.text(), lastUser(req.Messages))}
	}
	prompt := lastUser(req.Messages)
	p := strings.ToLower(prompt)
	if name := weatherTool(req.Tools); name != "" &&
		(strings.Contains(p, "weather") || strings.Contains(p, "forecast")) {
		args, _ := json.Marshal(map[string]string{"location": place(prompt)}) // a map of strings always marshals
		return answer{ToolCall: &toolCall{ID: callID(prompt), Name: name, Arguments: string(args)}}
	}
	switch {
	case containsAny(p, "hike", "hiking", "trail", "trek"):
		if containsAny(p, "pack", "bring", "supplies", "gear") {
			return answer{Text: supplies(p)}
		}
		return answer{Text: recommendTrail(p)}
	case containsAny(p, "camp", "supplies", "gear", "pack"):
		return answer{Text: supplies(p)}
	case containsAny(p, "weather", "forecast"):
		return answer{Text: "I can't look up live forecasts here, but mountain weather changes fast: check the forecast the morning you leave and plan to be off exposed ridges by early afternoon."}
	}
	return answer{Text: "I'm the Cairn stand-in model, an offline assistant for hiking and camping questions. Ask me for a trail recommendation or a packing list."}
}

func lastUser(msgs []chatMessage) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].text()
		}
	}
	return ""
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// weatherTool returns the name of an offered tool about weather, or "".
func weatherTool(tools []tool) string {
	for _, t := range tools {
		if strings.Contains(strings.ToLower(t.Function.Name), "weather") {
			return t.Function.Name
		}
	}
	return ""
}

var placeRE = regexp.MustCompile(`(?:at|in|on|near|for) (?:the )?([A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)*)`)

// place extracts a capitalised place name ("at Mount Rainier"), or a default.
func place(prompt string) string {
	if m := placeRE.FindStringSubmatch(prompt); m != nil {
		return m[1]
	}
	return "Mount Rainier National Park"
}

func callID(prompt string) string {
	h := fnv.New64a()
	h.Write([]byte(prompt))
	return fmt.Sprintf("call_%016x", h.Sum64())
}

// weatherSummary answers after a get_weather tool result.
func weatherSummary(toolResult, question string) string {
	var w struct {
		Location    string  `json:"location"`
		Forecast    string  `json:"forecast"`
		HighF       float64 `json:"high_f"`
		LowF        float64 `json:"low_f"`
		PrecipPct   float64 `json:"precipitation_chance"`
		Temperature string  `json:"temperature"`
	}
	if json.Unmarshal([]byte(toolResult), &w) != nil || w.Forecast == "" {
		return "The forecast service returned: " + strings.TrimSpace(toolResult) + ". Start early and carry a rain shell either way."
	}
	advice := "Conditions look good: start early, carry plenty of water and sun protection."
	if w.PrecipPct >= 40 {
		advice = "Pack a waterproof shell and consider a lower-elevation alternative if storms build."
	}
	loc := w.Location
	if loc == "" {
		loc = place(question)
	}
	return fmt.Sprintf("At %s expect %s, with a high of %.0f°F and a low of %.0f°F (%.0f%% chance of precipitation). %s",
		loc, w.Forecast, w.HighF, w.LowF, w.PrecipPct, advice)
}

// trail is a recommendation the stand-in can make.
type trail struct {
	name, summary string
	tags          []string
}

var trails = []trail{
	{"Skyline Trail, Mount Rainier National Park", "a 5.5-mile loop from Paradise through wildflower meadows to Panorama Point, with close views of the Nisqually Glacier.",
		[]string{"mountain", "views", "wildflower", "glacier", "moderate", "meadow"}},
	{"Emerald Lake Trail, Rocky Mountain National Park", "a gentle 3.2-mile round trip past Nymph and Dream Lakes to an alpine lake beneath Hallett Peak, ideal for families.",
		[]string{"easy", "lake", "family", "families", "short", "beginner", "kids"}},
	{"Angels Landing, Zion National Park", "a strenuous 5.4-mile climb up switchbacks and a chain-assisted sandstone fin with sweeping canyon views (permit required).",
		[]string{"challenging", "challenge", "strenuous", "exposure", "adventurous", "difficult", "thrill"}},
	{"Mist Trail, Yosemite National Park", "a steep 3-mile granite staircase past Vernal and Nevada Falls, drenched in spray each spring.",
		[]string{"waterfall", "waterfalls", "spring", "granite", "steep"}},
	{"Hoh River Trail, Olympic National Park", "a flat, shaded walk through moss-draped temperate rainforest along a glacier-fed river, as long or short as you like.",
		[]string{"rainforest", "forest", "flat", "shade", "shaded", "quiet", "moss", "accessible"}},
	{"Kalalau Trail, Nā Pali Coast", "an 11-mile coastal route over red-dirt cliffs and stream crossings to a remote beach, best done as an overnight.",
		[]string{"coast", "coastal", "ocean", "beach", "overnight", "backpacking"}},
	{"Cascade Pass Trail, North Cascades National Park", "a 7.4-mile round trip on steady switchbacks to an alpine pass ringed by glaciers, with marmots and mountain goats.",
		[]string{"alpine", "wildlife", "glaciers", "pass", "solitude"}},
	{"Delicate Arch Trail, Arches National Park", "a 3-mile round trip across open slickrock to the park's most famous arch, best at sunset.",
		[]string{"desert", "sunset", "arch", "photography", "red rock"}},
	{"Bright Angel Trail, Grand Canyon National Park", "a historic corridor trail descending 4,380 feet to the Colorado River, with rest houses and water stations on the way.",
		[]string{"canyon", "descent", "river", "hot", "historic"}},
	{"Tongariro Alpine Crossing, New Zealand", "a 12-mile volcanic traverse past steaming vents and the Emerald Lakes, one of the world's great day hikes.",
		[]string{"volcano", "volcanic", "crossing", "long", "day hike", "full day"}},
}

// recommendTrail picks the trail whose tags best match the preferences; ties
// are broken by a hash of the prompt, so the same prompt gets the same trail.
func recommendTrail(p string) string {
	h := fnv.New32a()
	h.Write([]byte(p))
	best, bestScore := int(h.Sum32()%uint32(len(trails))), 0
	for i, t := range trails {
		score := 0
		for _, tag := range t.tags {
			if strings.Contains(p, tag) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	t := trails[best]
	return t.name + ": " + t.summary
}

// supplies builds a packing list, adjusted to the terrain and season the
// prompt mentions.
func supplies(p string) string {
	items := []string{
		"Shelter: a three-season tent with a footprint and guylines rated for wind",
		"Sleep system: a sleeping bag rated 10°F below the expected low and an insulated sleeping pad",
		"Layers: a moisture-wicking base layer, a fleece, an insulated jacket and a waterproof shell",
		"Navigation: a paper map, compass and a charged GPS or phone with offline maps",
		"Water: filter or purification tablets and capacity for at least 3 liters",
		"Kitchen: stove, fuel, lighter, pot and calorie-dense food plus one extra day's supply",
		"Safety: first-aid kit, headlamp with spare batteries, whistle and an emergency blanket",
		"Sun protection: sunglasses, SPF 30+ sunscreen and a brimmed hat",
	}
	switch {
	case containsAny(p, "mountain", "alpine", "altitude"):
		items = append(items, "Mountain extras: trekking poles, microspikes for lingering snow and a warm hat and gloves for cold nights at altitude")
	case containsAny(p, "desert", "canyon"):
		items = append(items, "Desert extras: an extra 2 liters of water per person per day, electrolytes and a sun shirt")
	case containsAny(p, "beach", "coast"):
		items = append(items, "Coastal extras: sand stakes, a tide chart and a dry bag for electronics")
	}
	if containsAny(p, "winter", "snow") {
		items = append(items, "Winter extras: a four-season tent, a 0°F bag and insulated boots")
	}
	if containsAny(p, "rain", "wet") {
		items = append(items, "Wet-weather extras: rain pants, pack cover and quick-dry socks")
	}
	var b strings.Builder
	b.WriteString("Here are recommended supplies for your trip:\n")
	for i, it := range items {
		fmt.Fprintf(&b, "%d. %s\n", i+1, it)
	}
	b.WriteString("Leave your itinerary with someone at home and check conditions before you go.")
	return b.String()
}
