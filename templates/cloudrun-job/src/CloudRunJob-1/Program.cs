using CloudRunJob_1.Work;

// One run of the job: Cloud Run starts the container, the work runs once, and the exit code says how it went (not 0:
// Cloud Run retries the task up to MAX_RETRIES times). Logs are Cloud Logging JSON lines on Cloud Run.
var builder = Host.CreateApplicationBuilder(args);
builder.AddCloudRunDefaults();
#if (Database)
builder.AddSpaceDatabase();
#endif
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<JobWork>();

using var host = builder.Build();
await host.StartAsync();
// Stopping: Cloud Run sends SIGTERM when the task timeout (TASK_TIMEOUT) is reached.
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
var exitCode = await host.Services.GetRequiredService<JobWork>().RunAsync(lifetime.ApplicationStopping);
await host.StopAsync();
return exitCode;
