// Package templates holds tach's templ components: the layout, the pages
// and the small pieces they are built from. Components take plain view
// models (this file), already humanised by package web, so they stay free
// of metric rules and can be tested by rendering alone.
//
// Every piece of text here reaches the page through templ's escaping; no
// component writes raw HTML, and chart options travel as JSON data blocks
// that only the static tach.js reads.
package templates

import "encoding/json"

// Page is what every page's layout needs.
type Page struct {
	Title  string    // the page's heading and <title>
	Nav    []NavItem // the top navigation, with scope and window kept in each link
	Filter *Filter   // nil on pages without scope filters
	Assets Assets
	Scope  string // one line: which repos, which window
	// Notice is shown above the content (for example: charts are not
	// available in this build).
	Notice string
	// History says the window (or the period it is compared with) starts
	// before the history start of a repo in scope.
	History string
}

// NavItem is one entry of the navigation.
type NavItem struct {
	Label  string
	Href   string
	Active bool
}

// Assets are the URLs of the static files, with their content hash.
type Assets struct {
	CSS     string
	JS      string
	ECharts string // "" when the build has no ECharts: pages show tables only
}

// Filter is the scope and window form at the top of a page.
type Filter struct {
	Action  string   // the page's path
	Teams   []Option // "" = every repo
	Repos   []Option // multi-select
	Modules []Option // multi-select of REPO:NAME; none: the field is not shown
	// RepoNames and ModuleNames, when set, replace the multi-selects with
	// typed fields: there are too many to list.
	RepoNames, ModuleNames *TypedNames
	From                   string   // YYYY-MM-DD
	To                     string   // YYYY-MM-DD, exclusive
	Presets                []Link   // last 4, 12, 26, 52 weeks
	Selects                []Select // page-specific (state, kind, ...)
	Search                 *Search  // a text search, on lists
	Keep                   []Param  // hidden parameters to keep (sort, direction)
	// NoWindow hides the window fields (the weekly review has a week).
	NoWindow bool
}

// TypedNames is a field of names typed, comma-separated, that stands for
// a multi-select with too many options to list (an organisation's ten
// thousand repos were 800 KB of every page): the browser suggests names
// from Suggest as one types (tach.js).
type TypedNames struct {
	Value   string // the names chosen, ", "-separated
	Count   int    // how many there are to choose from
	Example string // a name, for the placeholder
	Suggest string // GET Suggest+"&q=TEXT" answers {"names": [...]}
}

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Select is a named select of a filter form.
type Select struct {
	Name    string
	Label   string
	Options []Option
}

// Search is a text field of a filter form.
type Search struct {
	Name        string
	Label       string
	Value       string
	Placeholder string
}

// Param is a query parameter.
type Param struct {
	Name  string
	Value string
}

// Link is a link with a label.
type Link struct {
	Label  string
	Href   string
	Active bool
	Title  string
}

// Value is a number as people read it, with the exact value on hover. A
// null value shows "–" and says why in its title.
type Value struct {
	Text  string // "2.4 d", "7.1 %", "–"
	Exact string // "207360 s", "3 of 42 deployments"; or why it is null
	Null  bool
}

// Fact is a labelled value.
type Fact struct {
	Label string
	Value Value
	Href  string // where the rows behind it are; optional
}

// Chart is one chart: the option JSON that tach.js hands to ECharts, and
// the same numbers as a table for readers who want them (or have no
// JavaScript). A chart with nothing to draw says why in Empty.
type Chart struct {
	ID     string          // fixed, so pages are stable: "chart-lead-time-trend"
	Title  string          // what the chart shows, also its accessible name
	Size   string          // "" (normal), "spark" or "tall"
	Option json.RawMessage // nil when there is nothing to draw
	Empty  string          // why there is nothing to draw
	Note   string          // a line under the chart: units, what the band is
	Table  Table
	// Links are where a click on each category of the x axis goes (a
	// weekly chart: the page with that week's rows); none when clicks
	// lead nowhere. The same links are on the page as plain links.
	Links []string
	// Marks are the decisions drawn on the chart, each by its number: the
	// chart labels its line with the number alone, the legend below it
	// says which decision it is.
	Marks []Link
}

// Table is a table of cells.
type Table struct {
	Caption string
	Columns []Column
	Rows    [][]Cell
	Empty   string // shown instead of the table when there are no rows
	TestID  string
	CSV     string // the same table as CSV, same filters; "" for none
	// RowIDs are the rows' ids, for links that land on a row
	// (deployment-42); optional, "" for a row without one.
	RowIDs []string
}

// Column is a table column; SortHref makes its header a sort link.
type Column struct {
	Label    string
	Num      bool   // right-aligned numbers
	Title    string // a longer explanation on hover
	SortHref string
	Sorted   string // "asc" or "desc" when the table is sorted by it
}

// Cell is one table cell: text, optionally a link, with a hover title.
type Cell struct {
	Text   string
	Title  string
	Href   string
	Num    bool
	Tags   []string // small badges after the text (bot, draft, fix, failed...)
	Muted  bool
	NoWrap bool // dates and times stay on one line
	// Items are shown after the text as a list, each a cell of its own:
	// every change a deployment shipped, every incident it caused.
	Items []Cell
}

// Delta is the change of a value against a baseline period.
type Delta struct {
	Text    string // "▼ −18 %", "▲ +2.1 pp", "±0", "–": the arrow is the sign of the change
	Verdict string // improved, worsened, no clear change, not enough data, not enough history
	Tone    string // the verdict's colour: good, bad, or "" (neutral)
	Counts  string // the counts behind both sides: "2 of 15 vs 1 of 70 deployments"
	Title   string // "previous period (…): 2.6 d; 95 % interval …"
}

// TierRow is one line of a tier table.
type TierRow struct {
	Tier    string
	Rule    string
	Current bool
}

// KeyCard is one DORA key on the overview.
type KeyCard struct {
	Key      string // report JSON name, used in test ids
	Title    string
	Href     string // the measure page
	Value    Value
	Unit     string // "/ week" after the value
	Detail   string // "median of 467 changes"
	Tier     string // "" when the measure has no tier or it cannot be rated
	TierNote string // why there is no tier
	TierRows []TierRow
	Delta    Delta
	Spark    Chart
}

// Panel is a titled chart with the facts that sum it up.
type Panel struct {
	ID    string
	Title string
	Href  string // the measure page
	Lead  string
	Facts []Fact
	Chart Chart
}

// Section is a titled table of rows under a measure.
type Section struct {
	ID    string
	Title string
	Lead  string
	Table Table
	More  Link // where the complete list is; optional
}

// OverviewPage is the overview: the DORA keys and the velocity panels, each
// a widget that rendered itself.
type OverviewPage struct {
	Page
	Empty *Empty // the whole scope has no data
}

// Empty explains a page or block with nothing to show, and what to do.
type Empty struct {
	Title string
	Why   string
	Fix   string
	Links []Link // links in Fix, each where its label appears
}

// MeasurePage is the page of one measure.
type MeasurePage struct {
	Page
	Key          string
	Definition   string
	RulesHref    string
	Facts        []Fact
	Tier         string
	TierRows     []TierRow
	Changes      Changes // the headline against the period before
	Trend        Chart
	Distribution Chart
	Weeks        []Link     // each week of the trend: the page with its rows; the shown one Active
	Week         *ShownWeek // the week whose rows are shown; nil: the whole window's
	Breakdown    []BreakdownFigure
	HowHref      string // how the breakdown is computed
	Sections     []Section
	Measures     []Link // every measure page, for moving between them
	JSONHref     string
}

// Changes are a page's headline figures against an earlier period.
type Changes struct {
	Title string // "Against the previous 12 weeks (22 Jun – 14 Sep)"
	Rows  []Change
}

// Change is one figure in two periods, each with the counts behind it,
// and its change.
type Change struct {
	Label         string // "median", "rate"
	Value, Before Value  // "2.9 % (10 of 343)"
	Delta         Delta
}

// ShownWeek is the week a measure page lists the rows of.
type ShownWeek struct {
	Label string // "week of Mon 16 Nov 2026"
	Note  string // what is shown of it, and against what
	Whole Link   // the page without the week
}

// BreakdownFigure is one figure's breakdown: a table per dimension (by
// repo, by team).
type BreakdownFigure struct {
	Title  string
	Lead   string
	Open   bool // shown open; the others are a click away
	Tables []Table
}

// WeeklyPage is the weekly review.
type WeeklyPage struct {
	Page
	Week         string // "week of Mon 16 Nov 2026"
	Baseline     string // "against 19 Oct – 16 Nov"
	Prev, Next   Link   // neighbouring weeks; Href "" when there is none
	MarkdownHref string
	JSONHref     string
	ChatLinks    []Link     // the summary for Slack, Teams, Mattermost
	Picker       WeekPicker // any week, by date
	Summary      WeeklySummary
	Keys         Table
	KeysLead     string // how a change is judged
	Shipped      []ShippedItem
	ShippedNote  string
	Opened       Table
	Resolved     Table
	Waiting      Table
	LargestOpen  Table
	Outliers     Table
	OutliersLead string
	// RadarSignals are the refactor radar's new signals of the week.
	RadarSignals Table
	RadarHref    string
}

// WeekPicker chooses the week to review: a date input whose days snap to
// Mondays (the server takes any day of the week, and tach.js moves the
// input to its Monday).
type WeekPicker struct {
	Value string  // the reviewed week's Monday, YYYY-MM-DD
	Min   string  // the first week with data's Monday (a Monday anchors the picker's step)
	Max   string  // the last complete week's Monday
	Keep  []Param // the scope
}

// WeeklySummary is the short summary the Copy summary button puts on the
// clipboard: as HTML (rendered into a <template>) and as Text.
type WeeklySummary struct {
	Title   string
	Against string
	Keys    []SummaryLine
	Notable []SummaryLine
	URL     string // the page, absolute
	Text    string // the same summary as plain text
}

// SummaryLine is one line of the summary: "Lead: Text — Detail", Text
// linking to Href when set.
type SummaryLine struct {
	Lead   string
	Text   string
	Href   string
	Detail string
}

// ShippedItem is one deployment of the weekly review with what it carried.
type ShippedItem struct {
	When      Value
	Repo      string
	Env       string
	SHA       Link
	Tags      []string
	Changes   []Cell
	Incidents []Cell
}

// ListPage is a sortable, paged list of changes, deployments or incidents.
type ListPage struct {
	Page
	Kind     string // changes, deployments, incidents
	Lead     string
	Table    Table
	Pager    Pager
	JSONHref string
}

// Pager moves between the pages of a list.
type Pager struct {
	Summary string // "101–150 of 463"
	Prev    Link
	Next    Link
	Pages   []Link
}

// SyncPage shows the state of each repo's sync.
type SyncPage struct {
	Page
	Table Table
	Live  *Table // a sync in progress, when the server runs syncs
	// Listings are the repos each organisation entry (github_org) yielded
	// at its last listing; nil when the config has none.
	Listings *Table
	Note     string
	// SyncNow, when set, offers to start a sync: the server runs syncs and
	// the reader may write.
	SyncNow *SyncNow
}

// SyncNow is the "sync now" button of the sync page.
type SyncNow struct {
	Action   string // where the form posts
	Running  bool   // a sync is running: the button is disabled
	Schedule string // when syncs run, in a sentence
}

// ErrorPage explains what went wrong.
type ErrorPage struct {
	Page
	Status    int
	Message   string
	Hint      string
	HintLinks []Link // links in Hint, each where its label appears
}

// RadarPage is the refactor radar.
type RadarPage struct {
	Page
	Summary                string
	JSONHref, MarkdownHref string
	Ranking                Table
	Scopes                 []RadarScope // the scopes shown in full: those with signals, at least the first
	Coupling               Table
	Rule                   string
}

// RadarScope is one ranked scope shown in full.
type RadarScope struct {
	ID       string
	Rank     int
	Name     string
	Href     string // its overview
	Facts    string // cross-module share, changes
	Signals  []RadarSignal
	Hotspots Table
}

// RadarSignal is one signal with its weekly values.
type RadarSignal struct {
	Title string // the measure
	Href  string // the measure's page in the scope
	Text  string // direction, slope, q
	Chart Chart
}
