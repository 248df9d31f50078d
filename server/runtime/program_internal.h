/* TEMPORARY layout of jet_program (replaced during this session). */
#ifndef JET_RUNTIME_PROGRAM_INTERNAL_H
#define JET_RUNTIME_PROGRAM_INTERNAL_H
#include "program.h"
struct jet_program {
  const jet_graph *graph;
};
#endif
