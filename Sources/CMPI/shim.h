// Open MPI spells its predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) as the
// addresses of library globals behind cast macros, and MPI_IN_PLACE / MPI_STATUSES_IGNORE as
// casts of small integers: Swift can import none of them. Each is returned by a static inline
// function here instead. Nothing else: the Swift layer (ShardCluster) makes every call.
#ifndef SHARDTRAIN_CMPI_SHIM_H
#define SHARDTRAIN_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm shard_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype shard_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype shard_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype shard_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Request shard_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Errhandler shard_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline void *shard_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *shard_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int shard_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int shard_mpi_success(void) { return MPI_SUCCESS; }

#endif
