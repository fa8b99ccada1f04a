using Xunit;

// Each test class owns a pwsh process (~150 MB); two at a time suit the 2-core CI machine.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
