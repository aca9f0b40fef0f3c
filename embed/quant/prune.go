package quant

import "slices"

// prunable are the operators prune drops once nothing reads their output.
var prunable = map[string]bool{"Constant": true, "Identity": true, "Transpose": true}

// prune applies the replacements and drops what nothing reads any more:
// initializers, the Constant, Identity and Transpose nodes that led to
// weights, and value_info entries. Nothing is dropped
// from a graph with subgraphs, which may read outer values by name.
func (r *rewriter) prune() {
	g := r.g
	var nodes []*node
	for _, n := range g.nodes {
		nodes = append(nodes, r.replaced[n]...)
		if !r.removed[n] {
			nodes = append(nodes, n)
		}
	}
	g.nodes = nodes
	for _, n := range nodes {
		for _, a := range n.attrs {
			if a.typ == attrTypeGraph || a.typ == attrTypeGraphs {
				return
			}
		}
	}
	for {
		read := map[string]bool{}
		for _, out := range g.outputs {
			read[out] = true
		}
		for _, n := range g.nodes {
			for _, in := range n.inputs {
				read[in] = true
			}
		}
		kept := g.nodes[:0]
		dropped := false
		for _, n := range g.nodes {
			if prunable[n.opType] && isDefaultDomain(n.domain) && len(n.outputs) == 1 && !read[n.outputs[0]] {
				dropped = true
				continue
			}
			kept = append(kept, n)
		}
		g.nodes = kept
		if !dropped {
			inits := g.inits[:0]
			for _, t := range g.inits {
				if read[t.name] || slices.Contains(g.inputs, t.name) {
					inits = append(inits, t)
				}
			}
			g.inits = inits
			break
		}
	}
	values := map[string]bool{}
	for _, n := range g.nodes {
		for _, out := range n.outputs {
			values[out] = true
		}
	}
	infos := g.valueInfo[:0]
	for _, vi := range g.valueInfo {
		if values[vi.name] {
			infos = append(infos, vi)
		}
	}
	g.valueInfo = infos
}
