#pragma once
// `selfens mask`: the attention plan of one question as a picture. The plan
// comes from build_method_plan (the same graph the methods build); the mask
// from build_dense_mask over its spans in display order.
//
// Formats:
//   ascii  one header line, one line per span (label, positions, parents,
//          bias), then one line per query token: "LABEL |" and the mask row
//          with '|' between spans; '#' visible, '+' visible with a score
//          bias, '.' not visible.
//   svg    a heatmap with segment labels on both axes (self-contained SVG).
//   png    the same heatmap as an RGB PNG (built-in encoder, 3x5 pixel font).
#include <filesystem>
#include <string>
#include <vector>

#include "report/method_plan.h"

namespace selfens::report {

enum class MaskFormat { kSvg, kPng, kAscii };
MaskFormat parse_mask_format(std::string_view s);  // svg | png | ascii

// Options of `selfens mask` (CLI flags in brackets).
struct MaskOptions {
  std::string method = "flex_attention";  // [--method] any of method_names()
  int n = 0;                 // [--num_paraphrases] paraphrases; 0: question_lens.size()
  PlanOptions plan;          // [--layout shared|concat] [--positions parallel|sequential]
                             // [--fusion_bias none|mean]
  MaskFormat format = MaskFormat::kAscii;  // [--format svg|png|ascii]
  std::filesystem::path output;  // [--output] file; empty or "-": stdout (ascii/svg only)
  int prefix_len = 8;            // [--prefix_len] |P| in tokens
  std::vector<int> question_lens;  // [--question_lens 5,6,7] |Qi|; when empty:
                                   // n copies of 6 (n defaults to 3)
  int generated_len = 4;         // [--generated_len] tokens generated
};

// The plan shape MaskOptions describe (n and question_lens reconciled: a
// single length is repeated n times; otherwise n must equal their count).
PlanShape mask_shape(const MaskOptions& options);

std::string render_mask_ascii(const MethodPlan& plan, std::string_view title);
// `id` becomes the <svg> element's id (for pages holding several pictures).
std::string render_mask_svg(const MethodPlan& plan, std::string_view title,
                            std::string_view id = "attention-mask");
std::string render_mask_png(const MethodPlan& plan);

// "flex_attention N=3 layout=shared positions=parallel fusion_bias=none"
std::string mask_title(std::string_view method, size_t n, const PlanOptions& plan);

// Builds the plan, renders it and writes it (atomically) to options.output,
// or prints it on stdout. Returns 0; throws InputError on bad options.
int run_mask(const MaskOptions& options);

}  // namespace selfens::report
