using CloudRunSpace.Templates.Tests.Infrastructure;

// One packed template package and one isolated hive for the whole test run.
[assembly: AssemblyFixture(typeof(TemplateHive))]
