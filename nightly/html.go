package nightly

import (
	"fmt"
	"html/template"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// Page is the content of the nightly job's static HTML report.
type Page struct {
	Title     string
	Generated time.Time
	// Tables are preformatted text tables (benchstat output), shown as is.
	Tables []Table
	// Images are relative paths or URLs, from the page's directory, to PNG or
	// SVG charts, shown in order, each linking to itself at full size.
	Images []string
	// Sections follow, each under its own heading and listed at the top:
	// one per machine in a fleet's report.
	Sections []Section
}

// Section is a part of a page with its own tables and charts.
type Section struct {
	// ID is the section's anchor, Title its heading.
	ID, Title string
	Tables    []Table
	Images    []string
}

// Table is one preformatted text table with its heading.
type Table struct {
	Title string
	Text  string
}

// WriteHTML writes page as one static HTML document: inline CSS, no script,
// nothing fetched from elsewhere, so that it reads from a file:// URL or an
// archived CI artifact as well as from a server. Images must be relative
// paths to .png or .svg files, so the page stays self-contained beside them.
func WriteHTML(w io.Writer, page Page) error {
	imgs := slices.Clone(page.Images)
	for _, sec := range page.Sections {
		imgs = append(imgs, sec.Images...)
	}
	for _, img := range imgs {
		if err := checkImage(img); err != nil {
			return err
		}
	}
	if err := pageTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("chart: writing HTML: %w", err)
	}
	return nil
}

// checkImage returns an error unless img is a relative path to a PNG or SVG.
func checkImage(img string) error {
	u, err := url.Parse(img)
	if err != nil {
		return fmt.Errorf("chart: image %q: %w", img, err)
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") {
		return fmt.Errorf("chart: image %q is not a relative path", img)
	}
	if ext := strings.ToLower(path.Ext(u.Path)); ext != ".png" && ext != ".svg" {
		return fmt.Errorf("chart: image %q is not a .png or .svg file", img)
	}
	return nil
}

// pageTemplate is the report page. html/template escapes every field for its
// context, so benchmark names or table text cannot inject markup.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"caption": func(img string) string { return strings.TrimSuffix(path.Base(img), path.Ext(img)) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1em 2em; max-width: 1100px; color: #222; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
.generated { color: #666; margin-top: 0; }
pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.85em; background: #f6f8fa; border: 1px solid #e1e4e8; padding: 0.8em; overflow-x: auto; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e1e4e8; }
figcaption { color: #666; font-size: 0.9em; }
nav ul { columns: 3; padding-left: 1.2em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{if not .Generated.IsZero}}<p class="generated">Generated {{.Generated.UTC.Format "2006-01-02 15:04:05 UTC"}}</p>{{end}}
{{- if .Images}}
<nav><ul>
{{- range $i, $img := .Images}}
<li><a href="#chart-{{$i}}">{{caption $img}}</a></li>
{{- end}}
</ul></nav>
{{- end}}
{{- range .Tables}}
<h2>{{.Title}}</h2>
<pre>{{.Text}}</pre>
{{- end}}
{{- if .Images}}
<h2>Charts</h2>
{{- range $i, $img := .Images}}
<figure id="chart-{{$i}}"><a href="{{$img}}"><img src="{{$img}}" alt="{{caption $img}}"></a><figcaption>{{caption $img}}</figcaption></figure>
{{- end}}
{{- end}}
{{- if .Sections}}
<nav><ul>
{{- range .Sections}}
<li><a href="#{{.ID}}">{{.Title}}</a></li>
{{- end}}
</ul></nav>
{{- end}}
{{- range .Sections}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{- range .Tables}}
<h3>{{.Title}}</h3>
<pre>{{.Text}}</pre>
{{- end}}
{{- range .Images}}
<figure><a href="{{.}}"><img src="{{.}}" alt="{{caption .}}"></a><figcaption>{{caption .}}</figcaption></figure>
{{- end}}
</section>
{{- end}}
</body>
</html>
`))
