// One space at a time: each test class starts a whole space (PostgreSQL, five .NET services, DCP), and two at once
// on a 2-core machine would only slow both and blur the timings.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
