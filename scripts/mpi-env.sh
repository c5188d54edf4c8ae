# Sourced by the scripts: lets Open MPI's mpirun start as root (containers,
# CI) and start more ranks than there are cores. Harmless otherwise.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
# Containers often forbid the cross-memory attach Open MPI uses by default.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
