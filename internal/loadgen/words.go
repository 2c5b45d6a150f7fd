package loadgen

// Words that the generated prompts and answers are made of. Prompts draw from the whole list,
// so a full-text index sees a realistic spread of terms; every prompt also carries CommonWord,
// and one trace in Options.RareEvery carries RareWord, which is in no other trace.
const (
	// CommonWord is in the prompt of every generated trace.
	CommonWord = "itinerary"
	// RareWord is in the prompt of one trace in Options.RareEvery (default 1,000) and nowhere else.
	RareWord = "quetzalcoatl"
)

// Services are the service.name values, one per template in turn; one trace in
// len(Services) belongs to each.
var Services = []string{"trail-guide", "travel-agent", "support-bot", "code-helper"}

// Features are the app.feature values of the business span, one trace in len(Features) each.
var Features = []string{"plan", "search", "book", "review"}

// slotWidth is the width of a word slot rewritten per trace: the longest word, RareWord
// included. Shorter words are padded with spaces.
const slotWidth = 12

// words has no entry longer than slotWidth, and neither CommonWord nor RareWord.
var words = []string{
	"trail", "summit", "ridge", "valley", "river", "forest", "meadow", "glacier", "canyon", "lake",
	"waterfall", "campsite", "shelter", "permit", "ranger", "parking", "trailhead", "switchback",
	"elevation", "distance", "loop", "out", "back", "easy", "moderate", "strenuous", "scramble",
	"exposure", "weather", "forecast", "rain", "snow", "wind", "sunrise", "sunset", "shade",
	"water", "filter", "snack", "lunch", "dinner", "stove", "tent", "sleeping", "bag", "pad",
	"boots", "socks", "jacket", "layers", "gloves", "hat", "map", "compass", "headlamp", "battery",
	"first", "aid", "blister", "knee", "ankle", "poles", "pack", "liters", "miles", "kilometers",
	"hours", "minutes", "morning", "afternoon", "evening", "night", "weekend", "family", "kids",
	"dog", "friendly", "crowded", "quiet", "scenic", "views", "wildflowers", "wildlife", "bear",
	"elk", "marmot", "birds", "bridge", "ford", "creek", "stream", "pass", "saddle", "peak",
	"hut", "lodge", "hotel", "train", "bus", "flight", "airport", "station", "ticket", "booking",
	"reservation", "budget", "cheap", "luxury", "museum", "gallery", "castle", "church", "market",
	"restaurant", "cafe", "bakery", "vineyard", "beach", "island", "harbor", "ferry", "coast",
	"cliff", "cave", "volcano", "desert", "dune", "oasis", "jungle", "rainforest", "savanna",
	"tundra", "arctic", "alpine", "national", "park", "reserve", "guide", "tour", "group",
	"private", "solo", "couple", "season", "spring", "summer", "autumn", "winter", "holiday",
	"festival", "local", "food", "cuisine", "vegetarian", "vegan", "allergy", "gluten", "coffee",
	"tea", "breakfast", "schedule", "route", "detour", "closure", "avalanche", "flood", "fire",
	"smoke", "heat", "cold", "humidity", "altitude", "acclimatize", "oxygen", "fitness", "training",
	"beginner", "expert", "technical", "rope", "harness", "helmet", "crampons", "ice", "axe",
	"rock", "granite", "limestone", "sandstone", "moss", "fern", "pine", "oak", "birch", "maple",
	"cedar", "spruce", "larch", "aspen", "fog", "cloud", "storm", "lightning", "thunder", "hail",
	"sun", "moon", "stars", "camp", "fireplace", "firewood", "kayak", "canoe", "paddle", "bike",
	"cycling", "running", "walking", "hiking", "climbing", "skiing", "snowshoe", "sled", "photo",
	"camera", "drone", "rules", "fees", "pass", "cash", "card", "refund", "cancel", "change",
	"upgrade", "seat", "window", "aisle", "luggage", "carry", "weight", "limit", "visa", "passport",
	"border", "customs", "currency", "exchange", "language", "phrase", "greeting", "tip", "tax",
	"price", "discount", "offer", "deal", "review", "rating", "recommend", "suggest", "compare",
	"prefer", "avoid", "need", "want", "plan", "day", "week", "month", "year", "today", "tomorrow",
	"yesterday", "north", "south", "east", "west", "left", "right", "up", "down", "near", "far",
}
