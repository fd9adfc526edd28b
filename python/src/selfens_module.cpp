// selfens._selfens: the engine as a Python extension (nanobind). Thin: the
// options are the CLI's (cli/command_options.h, parsed from the same
// argument strings), the jobs are the CLI's (jobs/), so the files a Python
// call writes are the files the CLI writes. The Python package
// (python/selfens/__init__.py) turns keyword arguments into those strings
// and the Feather files into pandas frames.
#include <nanobind/nanobind.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "cli/command_options.h"
#include "eval/lemmatizer.h"
#include "eval/match.h"
#include "jobs/job_loop.h"
#include "methods/session.h"
#include "report/analyze.h"
#include "report/mask.h"
#include "report/method_plan.h"
#include "util/check.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/progress.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace selfens::python {
namespace {

// A model loaded once: its weights, tokenizer and engines (device weights)
// stay up across calls (jobs/job_loop.h: LoadedModel).
struct PyModel {
  std::string name;    // as the user gave it (names the output folder)
  std::string device;  // as given: auto | cpu | cuda | cuda-fp16 | cuda-fp8 | cuda-f32
  std::string backend; // resolved: cpu | cuda | cuda-fp16 | cuda-fp8 | cuda-f32
  std::shared_ptr<LoadedModel> loaded;
  const Session& session() const { return loaded->session(); }
};

PyModel load(const std::string& name, const std::string& device) {
  PyModel m;
  m.name = name;
  m.device = device;
  m.backend = resolve_backend_kind(device);
  nb::gil_scoped_release release;
  m.loaded = std::make_shared<LoadedModel>(open_session(name, load_options_for(m.backend)));
  return m;
}

// Forwards the jobs' progress bars to a Python callable (label, done,
// total, final); an exception there (KeyboardInterrupt in a notebook)
// stops the job as Ctrl+C does.
ProgressSink python_sink(nb::object callback) {
  if (callback.is_none()) return {};
  return [callback](const std::string& label, int64_t done, int64_t total, bool final) {
    nb::gil_scoped_acquire acquire;
    try {
      callback(label, done, total, final);
    } catch (nb::python_error& e) {
      e.restore();
      PyErr_Clear();
      request_interrupt();
    }
  };
}

// Runs one job (generate or confidence) with `model`'s kept weights, the
// GIL released and progress sent to Python; the result's common fields.
template <class Options, class Run>
nb::dict run_job(const PyModel* model, Options o, nb::object progress, Run run) {
  if (model) {
    o.model = model->name;
    o.device = model->device;
    o.preloaded = model->loaded;
  }
  decltype(run(o)) r;
  {
    nb::gil_scoped_release release;
    ScopedProgressSink sink(python_sink(progress));
    r = run(o);
  }
  nb::dict d;
  d["path"] = r.path.string();
  d["rows"] = r.rows;
  d["skipped"] = r.skipped;
  d["interrupted"] = r.interrupted;
  d["wall_seconds"] = r.wall_seconds;
  return d;
}

nb::dict generate(const PyModel* model, const std::vector<std::string>& args,
                  nb::object progress) {
  return run_job(model, cli::parse_generate_options(args), progress, run_generate);
}

nb::dict confidence(const PyModel* model, const std::vector<std::string>& args,
                    nb::object progress) {
  return run_job(model, cli::parse_confidence_options(args), progress, run_confidence);
}

std::string analyze_json(const std::vector<std::string>& args) {
  const report::AnalyzeOptions o = cli::parse_analyze_options(args);
  nb::gil_scoped_release release;
  return report::analysis_json(report::analyze(o)).dump();
}

// The mask of one question's plan as (n, visibility bytes [n*n] 0/1,
// score-bias floats [n*n], one segment label per token: "P", "Q1", "G" ...).
nb::tuple mask(const std::vector<std::string>& args) {
  const report::MaskOptions o = cli::parse_mask_options(args);
  const report::MethodPlan plan = report::build_method_plan(o.method, report::mask_shape(o), o.plan);
  const DenseMask dense = build_dense_mask(plan.graph, plan.segments());
  std::vector<std::string> labels;
  for (const report::PlanSpan& s : plan.spans) labels.insert(labels.end(), size_t(s.length), s.label);
  return nb::make_tuple(dense.n, nb::bytes(dense.mask.data(), dense.mask.size()),
                        nb::bytes(dense.bias.data(), dense.bias.size() * sizeof(float)), labels);
}

class Lemmas {
 public:
  explicit Lemmas(const std::string& dir)
      : lem_(dir.empty() ? eval::Lemmatizer::load_default() : eval::Lemmatizer::load(dir)) {}
  std::vector<std::string> lemmas(const std::string& text) const { return lem_.lemmas(text); }
  bool match(const std::string& prediction, const std::vector<std::string>& answers) const {
    std::vector<eval::LemmaSeq> a;
    for (const std::string& s : answers) a.push_back(lem_.lemmas(s));
    return eval::is_correct(lem_.lemmas(prediction), a);
  }

 private:
  eval::Lemmatizer lem_;
};

}  // namespace
}  // namespace selfens::python

NB_MODULE(_selfens, m) {
  using namespace selfens::python;
  m.doc() = "selfens engine (C++): use the selfens package, not this module";
  nb::exception<selfens::InputError>(m, "InputError", PyExc_ValueError);
  selfens::log::set_level(selfens::log::Level::kWarn);  // the package shows progress itself
  nb::class_<PyModel>(m, "LoadedModel")
      .def_ro("name", &PyModel::name)
      .def_ro("device", &PyModel::device)
      .def_ro("backend", &PyModel::backend)
      .def_prop_ro("architecture",
                   [](const PyModel& l) { return l.session().model->config.architecture; })
      .def_prop_ro("path", [](const PyModel& l) { return l.session().model->path; })
      .def_prop_ro("num_layers",
                   [](const PyModel& l) { return l.session().model->config.num_layers; })
      .def("tokenize", [](const PyModel& l, const std::string& text) {
        return l.session().tokenizer->encode(text, true);
      });
  m.def("load", &load, "name"_a, "device"_a);
  m.def("generate", &generate, "model"_a.none(), "args"_a, "progress"_a.none());
  m.def("confidence", &confidence, "model"_a.none(), "args"_a, "progress"_a.none());
  m.def("analyze_json", &analyze_json, "args"_a);
  m.def("mask", &mask, "args"_a);
  nb::class_<Lemmas>(m, "Lemmas")
      .def(nb::init<const std::string&>(), "lemma_dir"_a)
      .def("lemmas", &Lemmas::lemmas, "text"_a)
      .def("match", &Lemmas::match, "prediction"_a, "answers"_a);
}
