package render

import (
	"html/template"
	"io"
)

// WriteHTML writes the page. html/template escapes every symbol, stack and
// path; the charts are SVG this package built, with their own text escaped.
func (p *Page) WriteHTML(w io.Writer) error {
	charts := make([]template.HTML, len(p.Charts))
	for i, c := range p.Charts {
		charts[i] = template.HTML(c.SVG()) // built here, text escaped in SVG()
	}
	return page.Execute(w, struct {
		*Page
		SVG []template.HTML
	}{p, charts})
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>leakslope: {{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 20px; margin: 0 0 4px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; font-weight: 600; color: #fff; background: #2e7d32; }
.verdict.failed { background: #c62828; }
table { border-collapse: collapse; margin: 12px 0 20px; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td code { word-break: break-all; }
tr.leak td { background: #ffebee; }
tr.undecided td { background: #fff8e1; }
code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; }
.chart { width: 100%; max-width: 720px; height: auto; display: block; margin: 4px 0 16px; }
.chart .plot { fill: #fff; stroke: #999; }
.chart .warmup { fill: #eee; }
.chart .grid { stroke: #eee; }
.chart .tickmark { stroke: #999; }
.chart .tick { font-size: 10px; fill: #555; }
.chart .axis { font-size: 11px; fill: #333; }
.chart .pt { fill: #1565c0; }
.chart .pt.warm { fill: #aaa; }
.chart .fit { stroke: #e65100; stroke-width: 2; }
.chart .band { fill: #ffcc80; fill-opacity: 0.5; }
.chart .budget { stroke: #c62828; stroke-dasharray: 6 4; stroke-width: 1.5; }
.legend span { margin-right: 16px; }
</style>
</head>
<body>
<h1>leakslope: {{.Title}}</h1>
<p><span class="verdict{{if .Failed}} failed{{end}}">{{.Verdict}}</span>
{{.Ops}} ops over {{.Duration}} ({{.Hammer}}){{if .Target}}, target {{.Target}}{{end}}; stopped: {{.Stopped}}</p>
{{if .Snapshots}}<p class="snapshots">{{.Snapshots}}</p>
{{end}}{{if .Error}}<pre class="error">{{.Error}}</pre>{{end}}
{{if .Goleak}}<h2>Goroutines left behind (goleak)</h2><pre>{{.Goleak}}</pre>{{end}}
{{if .Warnings}}<ul class="warnings">{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}

<h2>Symbols</h2>
<table id="symbols">
<thead><tr><th>symbol</th><th>verdict</th><th>slope per op [interval]</th><th>per second</th><th>budget</th><th>first → last</th></tr></thead>
<tbody>
{{range .Symbols}}<tr class="{{.Class}}"><td><code>{{.Name}}</code></td><td>{{.Decision}}</td><td class="num">{{.Slope}}</td><td class="num">{{.PerSec}}</td><td class="num">{{.Budget}}</td><td class="num">{{.Values}}</td></tr>
{{end}}</tbody>
</table>

<h2>Charts</h2>
<p class="legend"><span>● snapshot</span><span style="color:#aaa">● warm-up (not fitted)</span><span style="color:#e65100">— Theil–Sen fit</span><span style="color:#f5a623">▮ slope interval</span><span style="color:#c62828">- - budget</span></p>
{{range $i, $c := .Charts}}<h3><code>{{$c.Symbol}}</code> — {{$c.Decision}}</h3>
{{index $.SVG $i}}
{{end}}

{{range .Symbols}}{{if .Stack}}<h3>Stack of <code>{{.Name}}</code></h3>
<pre>{{range .Stack}}{{.}}
{{end}}</pre>
{{end}}{{if .HeldBy}}<h3>Held by: <code>{{.Name}}</code></h3>
<ul class="heldby">{{range .HeldBy}}<li>{{.Head}}<ul>{{template "hop" .Root}}</ul></li>
{{end}}</ul>
{{end}}{{end}}

<h2>Artifacts</h2>
<ul>{{range .Artifacts}}<li>{{.Name}}: <code>{{.Path}}</code></li>{{end}}</ul>
{{if .PprofDiff}}<pre>{{.PprofDiff}}</pre>{{end}}
</body>
</html>
{{define "hop"}}<li><code>{{.Text}}</code>{{if .Next}}<ul>{{template "hop" .Next}}</ul>{{end}}</li>{{end}}`))
