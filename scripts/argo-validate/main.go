// argo-validate runs Argo Workflows' own validator (workflow/validate of the pinned release:
// what `argo lint`, the Argo server and the controllers run) on YAML files, the way
// `argo lint --offline` does: every WorkflowTemplate and ClusterWorkflowTemplate among the
// files given together is known to the others, so a templateRef or workflowTemplateRef from
// one file to another resolves; objects are parsed strictly (unknown fields refused);
// WorkflowTemplates are validated with the lint options, CronWorkflows and Workflows as
// the cron controller and a submission are (every required argument must have a value).
//
// Usage: argo-validate FILE...
//
// Prints one JSON line per Argo object: {"file","index","kind","name","refusals":[...]}
// (index: the object's position among the file's Argo objects, from 0). Objects of other
// kinds (a ConfigMap of artifact repositories, …) are not Argo's to validate and are not
// printed. Exits 1 when any object is refused, 2 when a file cannot be read or when the
// files hold no Argo object at all (so a wrong list of files cannot pass as accepted).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	log "github.com/sirupsen/logrus"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
)

type object struct {
	file  string
	index int
	obj   interface{}
	err   error // a strict-parse refusal
}

type result struct {
	File     string   `json:"file"`
	Index    int      `json:"index"`
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	Refusals []string `json:"refusals"`
}

// templates holds the WorkflowTemplates of one namespace, as argo lint --offline does.
type templates struct {
	namespace string
	byName    map[string]*wfv1.WorkflowTemplate
}

func (t templates) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if v, ok := t.byName[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("couldn't find workflow template %q in namespace %q", name, t.namespace)
}

type clusterTemplates map[string]*wfv1.ClusterWorkflowTemplate

func (c clusterTemplates) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if v, ok := c[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("couldn't find cluster workflow template %q", name)
}

func main() {
	// The validator logs through logrus; stdout is reserved for the JSON lines.
	log.SetOutput(os.Stderr)
	log.SetLevel(log.WarnLevel)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: argo-validate FILE...")
		os.Exit(2)
	}

	var objects []object
	namespaced := map[string]templates{}
	cluster := clusterTemplates{}
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "argo-validate: %v\n", err)
			os.Exit(2)
		}
		for i, pr := range common.ParseObjects(data, true) {
			if pr.Object == nil {
				// A document that names an Argo kind but does not parse at all.
				if pr.Err != nil {
					objects = append(objects, object{file: path, index: i, err: pr.Err})
				}
				continue
			}
			switch v := pr.Object.(type) {
			case *wfv1.CronWorkflow, *wfv1.Workflow:
			case *wfv1.WorkflowTemplate:
				ns := namespaced[v.Namespace]
				if ns.byName == nil {
					ns = templates{namespace: v.Namespace, byName: map[string]*wfv1.WorkflowTemplate{}}
					namespaced[v.Namespace] = ns
				}
				ns.byName[v.Name] = v
			case *wfv1.ClusterWorkflowTemplate:
				cluster[v.Name] = v
			default:
				// WorkflowEventBinding, and objects of other kinds: argo lint does not validate them either.
				continue
			}
			objects = append(objects, object{file: path, index: i, obj: pr.Object, err: pr.Err})
		}
	}
	if len(objects) == 0 {
		fmt.Fprintln(os.Stderr, "argo-validate: the files hold no Argo Workflows object")
		os.Exit(2)
	}

	getter := func(namespace string) templates {
		if t, ok := namespaced[namespace]; ok {
			return t
		}
		return templates{namespace: namespace, byName: map[string]*wfv1.WorkflowTemplate{}}
	}
	ctx := context.Background()
	refused := false
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for _, o := range objects {
		r := result{File: o.file, Index: o.index, Refusals: []string{}}
		var err error
		switch v := o.obj.(type) {
		case *wfv1.WorkflowTemplate:
			r.Kind, r.Name = "WorkflowTemplate", v.Name
			if o.err == nil {
				err = validate.ValidateWorkflowTemplate(getter(v.Namespace), cluster, v, nil, validate.ValidateOpts{Lint: true})
			}
		case *wfv1.ClusterWorkflowTemplate:
			r.Kind, r.Name = "ClusterWorkflowTemplate", v.Name
			if o.err == nil {
				err = validate.ValidateClusterWorkflowTemplate(getter(""), cluster, v, nil, validate.ValidateOpts{Lint: true})
			}
		case *wfv1.CronWorkflow:
			r.Kind, r.Name = "CronWorkflow", v.Name
			if o.err == nil {
				err = validate.ValidateCronWorkflow(ctx, getter(v.Namespace), cluster, v, nil)
			}
		case *wfv1.Workflow:
			r.Kind, r.Name = "Workflow", v.Name
			if o.err == nil {
				err = validate.ValidateWorkflow(getter(v.Namespace), cluster, v, nil, validate.ValidateOpts{Lint: true})
			}
		default:
			// A document of an Argo kind that did not parse at all.
			r.Kind = "unparsed"
		}
		if o.err != nil {
			r.Refusals = append(r.Refusals, o.err.Error())
		}
		if err != nil {
			r.Refusals = append(r.Refusals, err.Error())
		}
		if len(r.Refusals) > 0 {
			refused = true
		}
		if err := out.Encode(r); err != nil {
			fmt.Fprintf(os.Stderr, "argo-validate: %v\n", err)
			os.Exit(2)
		}
	}
	if refused {
		os.Exit(1)
	}
}
