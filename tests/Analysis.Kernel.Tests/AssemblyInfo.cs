using Xunit;

// Each notebook gets a kernel process of its own (~300 MB) that serves HTTP on a port from 2048: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
