#include "common/pipeline/job_preflight.hpp"

#include "common/mpi/mpi_group.hpp"

namespace h5io {

PreflightPlan preflight_job(const JobSpec& spec) {
  // The pipeline's own setup on a group of one that never calls MPI: the
  // same checks in the same order, hence the same messages, without a
  // second copy of them to drift apart. A solo group cuts the plan for one
  // rank, so units are sized by bytes alone; a worker group forced to the
  // same slices_per_unit cuts the identical list.
  const Group solo{Group::Solo{}};
  const Pipeline pipeline(solo, spec, PipelinePurpose::check);
  return {pipeline.plan(), pipeline.describe_plan()};
}

} // namespace h5io
