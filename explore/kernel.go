package explore

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// kernelFuncs maps a model function, as the runtime names it without the
// module ("mm.(*RWSem).DownRead"), to the kernel function its doc comment
// says it models ("down_read()"), read once from the model's own source:
// every comment of model code names the kernel function it models, so the
// table is as good as those comments, and a new model function is in it
// without an edit here.
var kernelFuncs = loadKernelFuncs()

var modelsRE = regexp.MustCompile(`models ([A-Za-z_0-9]+\(\))`)

func loadKernelFuncs() map[string]string {
	out := map[string]string{}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return out
	}
	root := filepath.Dir(filepath.Dir(file))
	for _, pkg := range []string{"mm", "strategies"} {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, filepath.Join(root, pkg), func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments)
		if err != nil {
			continue
		}
		for _, p := range pkgs {
			for _, f := range p.Files {
				for _, d := range f.Decls {
					fd, ok := d.(*ast.FuncDecl)
					if !ok || fd.Doc == nil {
						continue
					}
					m := modelsRE.FindStringSubmatch(fd.Doc.Text())
					if m == nil {
						continue
					}
					out[funcName(pkg, fd)] = m[1]
				}
			}
		}
	}
	return out
}

// funcName is fd's name as the runtime gives it, less the module path.
func funcName(pkg string, fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return pkg + "." + fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if idx, ok := typ.(*ast.IndexExpr); ok { // a generic receiver
		typ = idx.X
	}
	switch t := typ.(type) {
	case *ast.StarExpr:
		x := t.X
		if idx, ok := x.(*ast.IndexExpr); ok {
			x = idx.X
		}
		if id, ok := x.(*ast.Ident); ok {
			return pkg + ".(*" + id.Name + ")." + fd.Name.Name
		}
	case *ast.Ident:
		return pkg + "." + t.Name + "." + fd.Name.Name
	}
	return pkg + "." + fd.Name.Name
}
