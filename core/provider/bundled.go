package provider

// bundledModels is what Codex 0.171.0's bundled catalog says about the
// dialect of its models, for a turn whose model is in no catalog Codex Tray
// could read (Codex falls back to its bundled models.json the same way).
// Only the fields the request depends on are kept.
var bundledModels = func() map[string]Model {
	lite := func(slug, effort, verbosity string) Model {
		m := Model{Slug: slug, DefaultReasoningLevel: effort, UseResponsesLite: true, SupportVerbosity: true,
			DefaultVerbosity: verbosity, SupportsParallelToolCalls: true, SupportsImageDetailOriginal: true}
		switch slug {
		case "gpt-6.2-sol", "gpt-6.2-astra", "gpt-6-astra", "gpt-6.1-sol", "gpt-6.1-terra":
			m.MultiAgentReasoningEffort = "xhigh"
		}
		return m
	}
	out := map[string]Model{}
	for _, m := range []Model{
		lite("gpt-6.2-sol", "low", "low"),
		lite("gpt-6.2-astra", "low", "low"),
		lite("gpt-6-astra", "low", "low"),
		lite("gpt-6.1-sol", "low", "low"),
		lite("gpt-6.1-terra", "low", "low"),
		lite("gpt-6-sol", "medium", "low"),
		lite("gpt-6-luna", "medium", "low"),
		lite("gpt-5.6-sol", "low", "low"),
		lite("gpt-5.6-terra", "medium", "low"),
		lite("gpt-5.6-luna", "medium", "low"),
		lite("gpt-daybreak-blue-latest", "low", "low"),
		lite("gpt-daybreak-red-latest", "medium", "high"),
		lite("codex-auto-review", "medium", "low"),
		{Slug: "gpt-5.5", DefaultReasoningLevel: "medium", SupportVerbosity: true, DefaultVerbosity: "low",
			SupportsParallelToolCalls: true, SupportsImageDetailOriginal: true},
	} {
		out[m.Slug] = m
	}
	return out
}()

func bundledModel(slug string) (Model, bool) {
	m, ok := bundledModels[slug]
	return m, ok
}
